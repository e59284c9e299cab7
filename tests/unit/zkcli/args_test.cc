#include "client/zkcli/args.h"

#include <doctest/doctest.h>

namespace zk::zkcli {
namespace {

std::vector<std::string> Words(std::string_view line) {
  std::string error;
  auto w = SplitWords(line, &error);
  REQUIRE(w.has_value());
  return *w;
}

TEST_CASE("tokenize: plain words, quotes and escapes") {
  CHECK(Words("ls  /a ") == std::vector<std::string>{"ls", "/a"});
  CHECK(Words("create /a \"hello world\"") ==
        std::vector<std::string>{"create", "/a", "hello world"});
  CHECK(Words("set /a 'it''s'") == std::vector<std::string>{"set", "/a", "its"});
  CHECK(Words(R"(set /a "say \"hi\"")") == std::vector<std::string>{"set", "/a", "say \"hi\""});
  CHECK(Words(R"(set /a a\ b)") == std::vector<std::string>{"set", "/a", "a b"});
  CHECK(Words("create /e ''") == std::vector<std::string>{"create", "/e", ""});
  CHECK(Words("   ").empty());
}

TEST_CASE("tokenize: unterminated quotes are errors, offsets are kept") {
  std::string error;
  CHECK_FALSE(SplitWords("set /a \"oops", &error).has_value());
  CHECK(error == "unterminated double quote");
  auto t = Tokenize("get  /ab");
  REQUIRE(t.tokens.size() == 2);
  CHECK(t.tokens[1].begin == 5);
  CHECK(t.tokens[1].end == 8);
  CHECK_FALSE(t.trailing_space);
  CHECK(Tokenize("get ").trailing_space);
}

TEST_CASE("QuoteWord round-trips through Tokenize") {
  for (std::string w : {"plain", "two words", "it's", "", "back\\slash", "\"q\""}) {
    auto t = Tokenize(QuoteWord(w));
    REQUIRE(t.tokens.size() == 1);
    CHECK(t.tokens[0].text == w);
  }
}

TEST_CASE("command options anywhere, valued and clustered") {
  OptionSpec spec{"sec", "tv"};
  std::string error;
  auto a = ParseCommandArgs(spec, {"-s", "/a", "data", "-e"}, &error);
  REQUIRE(a);
  CHECK(a->Has('s'));
  CHECK(a->Has('e'));
  CHECK_FALSE(a->Has('c'));
  CHECK(a->positional == std::vector<std::string>{"/a", "data"});
  a = ParseCommandArgs(spec, {"-se", "-t", "500", "/b"}, &error);
  REQUIRE(a);
  CHECK(*a->Value('t') == "500");
  CHECK(a->Has('s'));
  a = ParseCommandArgs(spec, {"-v3", "/b"}, &error);
  REQUIRE(a);
  CHECK(*a->Value('v') == "3");
  // Negative numbers and "--" keep data that looks like options.
  a = ParseCommandArgs(spec, {"/a", "-5"}, &error);
  REQUIRE(a);
  CHECK(a->positional == std::vector<std::string>{"/a", "-5"});
  a = ParseCommandArgs(spec, {"--", "/a", "-x"}, &error);
  REQUIRE(a);
  CHECK(a->positional == std::vector<std::string>{"/a", "-x"});
}

TEST_CASE("command options: errors") {
  std::string error;
  CHECK_FALSE(ParseCommandArgs({"s", "v"}, {"-x", "/a"}, &error));
  CHECK(error == "unknown option -x");
  CHECK_FALSE(ParseCommandArgs({"s", "v"}, {"/a", "-v"}, &error));
  CHECK(error == "option -v needs a value");
}

TEST_CASE("ParseInt bounds") {
  CHECK(ParseInt("42", 0, 100) == 42);
  CHECK(ParseInt("-1", -1, 1) == -1);
  CHECK_FALSE(ParseInt("101", 0, 100));
  CHECK_FALSE(ParseInt("4x", 0, 100));
  CHECK_FALSE(ParseInt("", 0, 100));
}

TEST_CASE("main arguments") {
  std::string error;
  auto o = ParseMainArgs({"-server", "h:1/app", "--json", "ls", "-s", "/"}, &error);
  REQUIRE(o);
  CHECK(o->server == "h:1/app");
  CHECK(o->json);
  CHECK(o->command == std::vector<std::string>{"ls", "-s", "/"});
  o = ParseMainArgs({}, &error);
  REQUIRE(o);
  CHECK(o->server == kDefaultServer);
  CHECK(o->command.empty());
  o = ParseMainArgs({"-timeout", "5000", "-f", "script.txt"}, &error);
  REQUIRE(o);
  CHECK(o->session_timeout.count() == 5000);
  CHECK(o->script_file == "script.txt");
  CHECK_FALSE(ParseMainArgs({"-server"}, &error));
  CHECK_FALSE(ParseMainArgs({"-timeout", "abc"}, &error));
  CHECK_FALSE(ParseMainArgs({"--bogus"}, &error));
  CHECK(error == "unknown option --bogus");
  CHECK_FALSE(ParseMainArgs({"-f", "x", "ls", "/"}, &error));
}

}  // namespace
}  // namespace zk::zkcli
