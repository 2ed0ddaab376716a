#!/usr/bin/env bash
# Generates the media the media-probe tests use into DIR (created if missing).
# Deterministic (same bytes on every run with the same tool versions) and
# quick: a few seconds in total. Nothing here is committed; tests run this.
#
#   scripts/make-test-media.sh DIR
#
# Needs espeak-ng, flite, sox and ffmpeg (scripts/install-deps.sh installs them).
set -euo pipefail

dir=${1:?usage: make-test-media.sh DIR}
mkdir -p "$dir"
cd "$dir"
tmp=$(mktemp -d "./.work.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# No timestamps, encoder versions or random ids in the output.
exact=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
half() { head -c $(($(stat -c %s "$1") / 2)) "$1" >"$2"; }

# Two voices, one per channel: the interviewer (espeak-ng) on the left, the
# candidate (flite) on the right; each padded or cut to exactly 3 s at 44.1 kHz.
espeak-ng -v en-us -s 170 -w "$tmp/interviewer.wav" "Tell me about a time you solved a hard problem."
flite -voice slt -t "I rebuilt our deploy pipeline in two weeks." -o "$tmp/candidate.wav"
# -D: no dither (dither is random); -R: repeatable.
sox -V1 -D -R "$tmp/interviewer.wav" -r 44100 -b 16 "$tmp/left.wav" pad 0 3 trim 0 3
sox -V1 -D -R "$tmp/candidate.wav" -r 44100 -b 16 "$tmp/right.wav" pad 0 3 trim 0 3
sox -V1 -D -R -M "$tmp/left.wav" "$tmp/right.wav" -b 16 speech.wav

ff -i speech.wav "${exact[@]}" -c:a libmp3lame -b:a 64k speech.mp3
ff -i speech.wav "${exact[@]}" -c:a aac -b:a 96k speech.m4a
ff -i speech.wav "${exact[@]}" -c:a libopus -b:a 48k speech.ogg
ff -i speech.wav "${exact[@]}" -c:a libopus -b:a 48k speech.webm
# As a browser's MediaRecorder writes it: no duration, no cues.
ff -i speech.wav "${exact[@]}" -c:a libopus -b:a 48k -f webm -live 1 speech-stream.webm
ff -i speech.wav "${exact[@]}" -c:a flac speech.flac
ff -i speech.wav "${exact[@]}" -ac 6 -c:a pcm_s16le speech-6ch.wav
ff -i speech.wav "${exact[@]}" -ac 1 -ar 8000 -c:a pcm_s16le speech-8k.wav
# Half a second cut from the middle of a word.
ff -ss 0.4 -t 0.5 -i speech.wav "${exact[@]}" -c:a pcm_s16le short-speech.wav
# A screen recording: small test-pattern video with the speech at 48 kHz.
ff -f lavfi -i testsrc=size=160x120:rate=10:duration=3 -i speech.wav "${exact[@]}" \
  -c:v libx264 -preset ultrafast -threads 1 -pix_fmt yuv420p -g 10 \
  -c:a aac -b:a 96k -ar 48000 -shortest interview.mp4
ff -f lavfi -i testsrc=size=160x120:rate=10:duration=3 "${exact[@]}" \
  -c:v libx264 -preset ultrafast -threads 1 -pix_fmt yuv420p -an video-only.mp4
ff -f lavfi -i anullsrc=r=44100:cl=mono -t 0.5 "${exact[@]}" -c:a pcm_s16le silence.wav
# Cover art is a video stream in FFmpeg's eyes, but not video.
ff -f lavfi -i testsrc=size=64x64:rate=1 "${exact[@]}" -frames:v 1 "$tmp/cover.png"
ff -i speech.mp3 -i "$tmp/cover.png" "${exact[@]}" -map 0:a -map 1:v -c copy -id3v2_version 3 \
  -disposition:v attached_pic speech-cover.mp3

# Files that must be refused (or, for the truncated ones, handled with care).
printf 'These are my interview notes, not a recording.\nQuestion 1: tell me about yourself.\n' >not-audio.mp3
half speech.mp3 truncated.mp3
half speech.m4a truncated.m4a   # its index (moov) is written last: gone
half speech.webm truncated.webm
ff -i speech.m4a "${exact[@]}" -c copy -movflags +faststart "$tmp/faststart.m4a"
half "$tmp/faststart.m4a" truncated-faststart.m4a   # index first: it outlives the cut
: >empty.m4a
