#pragma once
// Word error rate of a recognised text against the script that was spoken:
// word-level Levenshtein distance over the script's word count, after
// lower-casing and dropping punctuation.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace companion::test_support {

inline std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'') {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

inline std::size_t word_edits(const std::vector<std::string>& a,
                              const std::vector<std::string>& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

inline double word_error_rate(const std::string& script, const std::string& heard) {
  auto truth = words_of(script);
  if (truth.empty()) return words_of(heard).empty() ? 0.0 : 1.0;
  return double(word_edits(truth, words_of(heard))) / double(truth.size());
}

}  // namespace companion::test_support
