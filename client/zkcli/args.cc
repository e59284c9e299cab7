#include "client/zkcli/args.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace zk::zkcli {

TokenizeResult Tokenize(std::string_view line) {
  TokenizeResult r;
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) break;
    Token t;
    t.begin = i;
    char quote = 0;
    while (i < n) {
      char c = line[i];
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          t.text += c;
        }
        ++i;
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else if (c == '\\' && i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          t.text += line[++i];
        } else {
          t.text += c;
        }
        ++i;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        break;
      } else if (c == '\'' || c == '"') {
        quote = c;
        ++i;
      } else if (c == '\\' && i + 1 < n) {
        t.text += line[i + 1];
        i += 2;
      } else {
        t.text += c;
        ++i;
      }
    }
    t.end = i;
    r.tokens.push_back(std::move(t));
    if (quote != 0) {
      r.open_quote = true;
      r.error = std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote";
    }
  }
  r.trailing_space =
      n > 0 && std::isspace(static_cast<unsigned char>(line[n - 1])) && !r.open_quote;
  return r;
}

std::optional<std::vector<std::string>> SplitWords(std::string_view line, std::string* error) {
  TokenizeResult t = Tokenize(line);
  if (!t.error.empty()) {
    if (error) *error = t.error;
    return std::nullopt;
  }
  std::vector<std::string> words;
  for (auto& tok : t.tokens) words.push_back(std::move(tok.text));
  return words;
}

std::string QuoteWord(std::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '"' || c == '\\') {
      plain = false;
    }
  }
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

const std::string* ParsedArgs::Value(char c) const {
  auto it = values.find(c);
  return it == values.end() ? nullptr : &it->second;
}

namespace {

// "-x" style words that name an option letter (not "-", not "-5", not "--").
bool LooksLikeOption(const std::string& w) {
  return w.size() >= 2 && w[0] == '-' && std::isalpha(static_cast<unsigned char>(w[1]));
}

}  // namespace

std::optional<ParsedArgs> ParseCommandArgs(const OptionSpec& spec,
                                           const std::vector<std::string>& words,
                                           std::string* error) {
  ParsedArgs out;
  bool options_done = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_done || !LooksLikeOption(w)) {
      if (!options_done && w == "--") {
        options_done = true;
        continue;
      }
      out.positional.push_back(w);
      continue;
    }
    if (auto it = spec.long_names.find(w); it != spec.long_names.end()) {
      if (i + 1 >= words.size()) {
        if (error) *error = "option " + w + " needs a value";
        return std::nullopt;
      }
      std::string& v = out.values[it->second];
      v += (v.empty() ? "" : ",") + words[++i];
      continue;
    }
    // A cluster of letters ("-se"), or one valued letter followed by its value ("-v3").
    for (size_t j = 1; j < w.size(); ++j) {
      char c = w[j];
      if (spec.valued.find(c) != std::string::npos) {
        std::string value;
        if (j + 1 < w.size()) {
          value = w.substr(j + 1);
        } else if (i + 1 < words.size()) {
          value = words[++i];
        } else {
          if (error) *error = std::string("option -") + c + " needs a value";
          return std::nullopt;
        }
        out.values[c] = value;
        break;
      }
      if (spec.flags.find(c) == std::string::npos) {
        if (error) *error = "unknown option " + (j == 1 ? w : std::string("-") + c);
        return std::nullopt;
      }
      out.flags.insert(c);
    }
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || v < lo || v > hi) return std::nullopt;
  return v;
}

std::string MainUsage() {
  return "usage: zkcli [-server host:port[,host:port...][/chroot]] [-timeout ms]\n"
         "             [--request-timeout ms] [-r] [--json] [--stop-on-error]\n"
         "             [--tls] [--tls-ca FILE] [--tls-cert FILE] [--tls-key FILE]\n"
         "             [--tls-key-password PW] [--tls-no-verify-hostname]\n"
         "             [-client-configuration FILE]\n"
         "             [-f FILE | command [args...]]\n"
         "  Without a command, zkcli reads commands from the terminal (interactive shell) or,\n"
         "  when standard input is not a terminal, runs them as a script. -f - reads standard\n"
         "  input. The default server is " +
         std::string(kDefaultServer) +
         ".\n"
         "  Exit status: 0 success, 1 the operation failed, 2 usage error, 3 not connected,\n"
         "  130 interrupted.\n";
}

void ApplyClientConfiguration(std::string_view text, MainOptions* o) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, eq));
    std::string value(trim(line.substr(eq + 1)));
    if (key == "zookeeper.client.secure") {
      o->tls = value == "true";
    } else if (key == "zookeeper.ssl.trustStore.location") {
      o->tls_ca = value;
    } else if (key == "zookeeper.ssl.keyStore.location") {
      o->tls_cert = value;
      o->tls_key = value;
    } else if (key == "zookeeper.ssl.keyStore.password") {
      o->tls_key_password = value;
    } else if (key == "zookeeper.ssl.hostnameVerification") {
      o->tls_verify_hostname = value != "false";
    }
  }
}

std::optional<MainOptions> ParseMainArgs(const std::vector<std::string>& argv, std::string* error) {
  MainOptions o;
  auto fail = [&](std::string msg) -> std::optional<MainOptions> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argv.size()) return false;
      *out = argv[++i];
      return true;
    };
    auto millis = [&](std::chrono::milliseconds* out) {
      std::string v;
      if (!value(&v)) return false;
      auto n = ParseInt(v, 1, 24LL * 3600 * 1000);
      if (!n) return false;
      *out = std::chrono::milliseconds(*n);
      return true;
    };
    if (a == "-server" || a == "--server") {
      if (!value(&o.server) || o.server.empty()) return fail(a + " needs host:port[,...]");
    } else if (a == "-timeout" || a == "--timeout") {
      if (!millis(&o.session_timeout)) return fail(a + " needs a timeout in milliseconds");
    } else if (a == "--request-timeout") {
      if (!millis(&o.request_timeout)) return fail(a + " needs a timeout in milliseconds");
    } else if (a == "-r" || a == "--read-only") {
      o.read_only = true;
    } else if (a == "--json" || a == "-json") {
      o.json = true;
    } else if (a == "--stop-on-error") {
      o.stop_on_error = true;
    } else if (a == "-waitforconnection") {
      o.wait_for_connection = true;
    } else if (a == "--tls") {
      o.tls = true;
    } else if (a == "--tls-ca" || a == "--tls-cert" || a == "--tls-key" ||
               a == "--tls-key-password") {
      std::string* out = a == "--tls-ca"     ? &o.tls_ca
                         : a == "--tls-cert" ? &o.tls_cert
                         : a == "--tls-key"  ? &o.tls_key
                                             : &o.tls_key_password;
      if (!value(out) || out->empty()) return fail(a + " needs a value");
      o.tls = true;
    } else if (a == "--tls-no-verify-hostname") {
      o.tls_verify_hostname = false;
    } else if (a == "-client-configuration" || a == "--client-configuration") {
      std::string path;
      if (!value(&path)) return fail(a + " needs a file name");
      std::ifstream in(path);
      if (!in) return fail("cannot read client configuration " + path);
      std::stringstream text;
      text << in.rdbuf();
      ApplyClientConfiguration(text.str(), &o);
    } else if (a == "-f" || a == "--file") {
      if (!value(&o.script_file)) return fail(a + " needs a file name (- for standard input)");
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a == "--") {
      ++i;
      break;
    } else if (a.size() > 1 && a[0] == '-') {
      return fail("unknown option " + a);
    } else {
      break;
    }
  }
  o.command.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
  if (!o.command.empty() && !o.script_file.empty()) {
    return fail("give either -f FILE or a command, not both");
  }
  return o;
}

}  // namespace zk::zkcli
