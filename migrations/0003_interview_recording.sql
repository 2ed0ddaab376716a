-- The interview's recording summary (the contract's Interview.recording),
-- kept on the interview row so reads need no join; written by the uploads
-- module in the transaction that stores the recording.
ALTER TABLE interviews ADD COLUMN recording TEXT;
