#include "client/zkcli/completion.h"

#include <algorithm>

#include "client/zkcli/args.h"

namespace zk::zkcli {

std::string CommonPrefix(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string prefix = items[0];
  for (const auto& s : items) {
    size_t n = 0;
    while (n < prefix.size() && n < s.size() && prefix[n] == s[n]) ++n;
    prefix.resize(n);
  }
  return prefix;
}

namespace {

// Completes `word` against full `candidates`; `names` are what a listing shows.
CompletionResult Choose(const std::string& word, std::vector<std::string> candidates,
                        std::vector<std::string> names, const std::string& unique_suffix) {
  CompletionResult r;
  if (candidates.empty()) return r;
  if (candidates.size() == 1) {
    r.insert = candidates[0].substr(word.size()) + unique_suffix;
    return r;
  }
  std::string common = CommonPrefix(candidates);
  if (common.size() > word.size()) {
    r.insert = common.substr(word.size());
  } else {
    std::sort(names.begin(), names.end());
    r.listing = std::move(names);
  }
  return r;
}

}  // namespace

CompletionResult Complete(std::string_view before_cursor, const std::vector<std::string>& commands,
                          const ChildLister& lister) {
  TokenizeResult t = Tokenize(before_cursor);
  if (t.open_quote) return {};
  bool new_word = t.tokens.empty() || t.trailing_space;
  std::string word = new_word ? "" : t.tokens.back().text;
  size_t word_index = new_word ? t.tokens.size() : t.tokens.size() - 1;
  // Only plain words can be extended in place (no quotes or escapes to re-create).
  if (!new_word && t.tokens.back().end - t.tokens.back().begin != word.size()) return {};

  if (word_index == 0 || (word_index == 1 && t.tokens[0].text == "help")) {
    std::vector<std::string> matches;
    for (const auto& c : commands) {
      if (c.compare(0, word.size(), word) == 0) matches.push_back(c);
    }
    std::sort(matches.begin(), matches.end());
    return Choose(word, matches, matches, " ");
  }
  if (word.empty()) word = "/";
  if (word[0] != '/' || !lister) return {};
  size_t slash = word.rfind('/');
  std::string parent = slash == 0 ? "/" : word.substr(0, slash);
  std::string prefix = word.substr(slash + 1);
  auto children = lister(parent);
  if (!children) return {};
  std::vector<std::string> matches, names;
  for (const auto& c : *children) {
    if (c.compare(0, prefix.size(), prefix) != 0) continue;
    matches.push_back(word.substr(0, slash + 1) + c);
    names.push_back(c);
  }
  std::sort(matches.begin(), matches.end());
  std::string suffix;
  if (matches.size() == 1) {
    auto grandchildren = lister(matches[0]);
    suffix = grandchildren && !grandchildren->empty() ? "/" : " ";
  }
  return Choose(new_word ? "" : word, matches, names, suffix);
}

}  // namespace zk::zkcli
