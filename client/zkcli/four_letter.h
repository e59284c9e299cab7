// Four-letter words ("srvr", "mntr", "ruok", ...) sent straight to a server's client port over
// a short-lived TCP connection, plus the pure helpers `stat4` uses to show the answers of a whole
// ensemble as one table. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zk::zkcli {

struct FourLetterAnswer {
  bool ok = false;
  std::string text;   // The server's answer when ok.
  std::string error;  // Why not, when !ok ("connection refused", "timed out").
};

// Blocks for at most about `timeout` (connect, send, read until the server closes).
FourLetterAnswer SendFourLetterWord(const std::string& host, uint16_t port, std::string_view word,
                                    std::chrono::milliseconds timeout);

// "key: value" (srvr, stat, conf) or "key\tvalue" (mntr) lines, in order. Returns an empty list
// if some non-blank line has neither form.
std::vector<std::pair<std::string, std::string>> ParseKeyValues(std::string_view text);

// Aligns rows into columns separated by two spaces (the first row is the header).
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace zk::zkcli
