// Command-line parsing for zkcli, all pure functions (thread-safe, no I/O):
// * Tokenize splits a shell line into words the way a POSIX shell would for plain words, '...'
//   and "..." quoting and backslash escapes (no variables, globs or pipes), remembering where each
//   word starts so that completion can work on the word under the cursor.
// * ParseCommandArgs applies one command's option spec to its words: options may appear before,
//   between or after the positional arguments (as zkCli.sh accepts "deleteall /a -b 10"), "--"
//   ends the options, and a word that is not a known option of the command (for example "-5" as
//   data) is a positional argument unless it looks like an option letter the command lacks.
// * ParseMainArgs reads zkcli's own argv (-server, -timeout, -f, --json, ...).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zk::zkcli {

struct Token {
  std::string text;  // The word with quotes and escapes removed.
  size_t begin = 0;  // Offset of its first character in the line.
  size_t end = 0;    // Offset just past its last character.
};

struct TokenizeResult {
  std::vector<Token> tokens;
  std::string error;            // Non-empty if the line is malformed (unterminated quote).
  bool open_quote = false;      // The last word is inside an unterminated quote.
  bool trailing_space = false;  // The line ends with blank space after the last word.
};

TokenizeResult Tokenize(std::string_view line);
// Just the words; nullopt (with *error set) on a malformed line.
std::optional<std::vector<std::string>> SplitWords(std::string_view line, std::string* error);
// Quotes a word so that Tokenize reads it back unchanged (used by completion and history).
std::string QuoteWord(std::string_view word);

// What options a command takes: `flags` are letters without a value, `valued` letters that take
// one (the next word, or the rest of the same word as in "-v3").
struct OptionSpec {
  std::string flags;
  std::string valued;
  // Whole-word options standing for a letter of `valued` ("-add" for 'a', as zkCli.sh's
  // reconfig spells them); a valued option given more than once keeps its values joined by
  // commas.
  std::map<std::string, char> long_names = {};
};

struct ParsedArgs {
  std::set<char> flags;
  std::map<char, std::string> values;
  std::vector<std::string> positional;  // Excluding the command name.

  bool Has(char c) const { return flags.count(c) > 0 || values.count(c) > 0; }
  const std::string* Value(char c) const;
};

// `words` excludes the command name. Errors: "unknown option -x", "option -v needs a value".
std::optional<ParsedArgs> ParseCommandArgs(const OptionSpec& spec,
                                           const std::vector<std::string>& words,
                                           std::string* error);

// Parses a decimal integer in [lo, hi]; nullopt if not a whole number in range.
std::optional<int64_t> ParseInt(std::string_view s, int64_t lo, int64_t hi);

// The local three-server ensemble that ./scripts/run.sh starts.
inline constexpr std::string_view kDefaultServer = "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183";

struct MainOptions {
  std::string server = std::string(kDefaultServer);
  std::chrono::milliseconds session_timeout{30000};
  std::chrono::milliseconds request_timeout{10000};
  bool json = false;
  bool read_only = false;
  bool stop_on_error = false;
  bool wait_for_connection = false;
  bool help = false;
  bool version = false;
  std::string script_file;           // -f FILE ("-" = standard input).
  // TLS (--tls, --tls-ca, --tls-cert, --tls-key, --tls-key-password, --tls-no-verify-hostname,
  // or zkCli.sh's -client-configuration FILE with zookeeper.client.secure=true and
  // zookeeper.ssl.* keys). Any --tls-* file option implies --tls.
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_key_password;
  bool tls_verify_hostname = true;
  std::vector<std::string> command;  // A one-shot command and its arguments.
};

// argv without the program name. Errors are one line for stderr.
// Applies the TLS keys of a ZooKeeper client configuration (Java properties text, as zkCli.sh's
// -client-configuration reads): zookeeper.client.secure, zookeeper.ssl.trustStore.location,
// zookeeper.ssl.keyStore.location (PEM: key and certificate in one file),
// zookeeper.ssl.keyStore.password, zookeeper.ssl.hostnameVerification. Other keys are ignored.
void ApplyClientConfiguration(std::string_view text, MainOptions* o);

std::optional<MainOptions> ParseMainArgs(const std::vector<std::string>& argv, std::string* error);
std::string MainUsage();

}  // namespace zk::zkcli
