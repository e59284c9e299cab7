#include "server/jaas_config.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace zk::server {
namespace {

using zab::Result;
using zab::Status;

struct Token {
  enum Kind { kWord, kQuoted, kPunct, kEnd } kind = kEnd;
  std::string text;
  int line = 1;
};

bool IsWordChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 || c == '.' || c == '_' || c == '$' || c == '-' || c == '*';
}

// Splits the text into words, quoted strings and the punctuation { } ; =.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Status Next(Token* t) {
    if (Status s = SkipSpaceAndComments(); !s.ok()) return s;
    t->line = line_;
    t->text.clear();
    if (i_ == text_.size()) {
      t->kind = Token::kEnd;
      return Status::OK();
    }
    char c = text_[i_];
    if (c == '{' || c == '}' || c == ';' || c == '=') {
      t->kind = Token::kPunct;
      t->text.assign(1, c);
      ++i_;
      return Status::OK();
    }
    if (c == '"') return Quoted(t);
    if (!IsWordChar(c)) {
      return Error(std::string("unexpected character '") + c +
                   "' (values other than words of letters, digits and . _ $ - * must be quoted)");
    }
    t->kind = Token::kWord;
    while (i_ < text_.size() && IsWordChar(text_[i_])) t->text.push_back(text_[i_++]);
    return Status::OK();
  }

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("line " + std::to_string(line_) + ": " + what);
  }

 private:
  Status SkipSpaceAndComments() {
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (text_.substr(i_, 2) == "//") {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
      } else if (text_.substr(i_, 2) == "/*") {
        int start = line_;
        size_t end = text_.find("*/", i_ + 2);
        if (end == std::string_view::npos) {
          return Status::InvalidArgument("line " + std::to_string(start) +
                                         ": comment /* is never closed");
        }
        for (size_t k = i_; k < end; ++k) line_ += text_[k] == '\n';
        i_ = end + 2;
      } else {
        break;
      }
    }
    return Status::OK();
  }

  Status Quoted(Token* t) {
    int start = line_;
    ++i_;
    t->kind = Token::kQuoted;
    while (i_ < text_.size()) {
      char c = text_[i_++];
      if (c == '"') return Status::OK();
      if (c == '\n') {
        return Status::InvalidArgument("line " + std::to_string(start) +
                                       ": quoted string is not closed on its line");
      }
      if (c == '\\' && i_ < text_.size()) {
        char e = text_[i_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          default:
            c = e;
            break;  // \\ \" \' and any other character stand for themselves
        }
      }
      t->text.push_back(c);
    }
    return Status::InvalidArgument("line " + std::to_string(start) +
                                   ": quoted string is not closed");
  }

  std::string_view text_;
  size_t i_ = 0;
  int line_ = 1;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsPunct(const Token& t, char c) { return t.kind == Token::kPunct && t.text[0] == c; }

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::kEnd:
      return "the end of the file";
    case Token::kPunct:
      return "'" + t.text + "'";
    case Token::kQuoted:
      return "\"" + t.text + "\"";
    case Token::kWord:
      return "'" + t.text + "'";
  }
  return "?";
}

Status Expected(const Token& t, const std::string& what) {
  return Status::InvalidArgument("line " + std::to_string(t.line) + ": expected " + what +
                                 ", found " + Describe(t));
}

}  // namespace

Result<JaasConfig> ParseJaasConfig(std::string_view text) {
  JaasConfig config;
  Lexer lex(text);
  Token t;
  auto next = [&] { return lex.Next(&t); };
  if (Status s = next(); !s.ok()) return s;
  while (t.kind != Token::kEnd) {
    if (t.kind != Token::kWord && t.kind != Token::kQuoted) {
      return Expected(t, "a section name");
    }
    std::string section = t.text;
    if (Status s = next(); !s.ok()) return s;
    if (!IsPunct(t, '{')) return Expected(t, "'{' after section " + section);
    std::vector<JaasEntry>& entries = config[section];
    if (Status s = next(); !s.ok()) return s;
    while (!IsPunct(t, '}')) {
      JaasEntry e;
      if (t.kind != Token::kWord) return Expected(t, "a login module class name or '}'");
      e.login_module = t.text;
      if (Status s = next(); !s.ok()) return s;
      if (t.kind != Token::kWord) return Expected(t, "a control flag after " + e.login_module);
      e.flag = Lower(t.text);
      if (e.flag != "required" && e.flag != "requisite" && e.flag != "sufficient" &&
          e.flag != "optional") {
        return Expected(t, "required, requisite, sufficient or optional");
      }
      if (Status s = next(); !s.ok()) return s;
      while (!IsPunct(t, ';')) {
        if (t.kind != Token::kWord) return Expected(t, "an option key=value or ';'");
        std::string key = t.text;
        if (Status s = next(); !s.ok()) return s;
        if (!IsPunct(t, '=')) return Expected(t, "'=' after option " + key);
        if (Status s = next(); !s.ok()) return s;
        if (t.kind != Token::kWord && t.kind != Token::kQuoted) {
          return Expected(t, "a value for option " + key);
        }
        e.options.emplace_back(std::move(key), t.text);
        if (Status s = next(); !s.ok()) return s;
      }
      entries.push_back(std::move(e));
      if (Status s = next(); !s.ok()) return s;
    }
    if (Status s = next(); !s.ok()) return s;
    if (!IsPunct(t, ';')) return Expected(t, "';' after the '}' closing section " + section);
    if (Status s = next(); !s.ok()) return s;
  }
  return config;
}

Result<std::map<std::string, std::string>> LoadSaslUsers(const std::string& path,
                                                         const std::string& section) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read the JAAS file " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read the JAAS file " + path);
  Result<JaasConfig> config = ParseJaasConfig(text.str());
  if (!config.ok()) {
    return Status::InvalidArgument("JAAS file " + path + ": " + config.status().message());
  }
  auto it = config.value().find(section);
  if (it == config.value().end()) {
    std::string names;
    for (const auto& [name, entries] : config.value()) {
      names += (names.empty() ? "" : ", ") + name;
    }
    return Status::InvalidArgument("JAAS file " + path + " has no section named '" + section +
                                   "' (it has: " + (names.empty() ? "none" : names) + ")");
  }
  std::map<std::string, std::string> users;
  for (const JaasEntry& e : it->second) {
    for (const auto& [key, value] : e.options) {
      if (key.starts_with("user_") && key.size() > 5) users[key.substr(5)] = value;
    }
  }
  return users;
}

}  // namespace zk::server
