#include "server/path_utils.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace zk::server {
namespace {

using namespace std::string_literals;

TEST_CASE("IsValidPath accepts well-formed absolute paths") {
  CHECK(IsValidPath("/"));
  CHECK(IsValidPath("/a"));
  CHECK(IsValidPath("/a/b"));
  CHECK(IsValidPath("/zookeeper"));
  CHECK(IsValidPath("/a.b/..c/c..d/.e"));  // dots are fine inside a longer component
  CHECK(IsValidPath("/with space/and-dash_underscore"));
  CHECK(IsValidPath("/\xc3\xa9t\xc3\xa9"));         // U+00E9, two-byte UTF-8
  CHECK(IsValidPath("/\xe4\xb8\xad\xe6\x96\x87"));  // CJK, three-byte UTF-8
  CHECK(IsValidPath("/\xef\xbf\xaf"));              // U+FFEF, just below the forbidden block
  CHECK(IsValidPath("/\xef\xa4\x80"));              // U+F900, just above the private-use block
}

TEST_CASE("IsValidPath rejects ZooKeeper's invalid paths") {
  CHECK_FALSE(IsValidPath(""));
  CHECK_FALSE(IsValidPath("a"));
  CHECK_FALSE(IsValidPath("a/b"));
  CHECK_FALSE(IsValidPath("/a/"));
  CHECK_FALSE(IsValidPath("//a"));
  CHECK_FALSE(IsValidPath("/a//b"));
  CHECK_FALSE(IsValidPath("//"));
  CHECK_FALSE(IsValidPath("/."));
  CHECK_FALSE(IsValidPath("/.."));
  CHECK_FALSE(IsValidPath("/a/."));
  CHECK_FALSE(IsValidPath("/a/.."));
  CHECK_FALSE(IsValidPath("/./a"));
  CHECK_FALSE(IsValidPath("/../a"));
  CHECK_FALSE(IsValidPath("/a/../b"));
  CHECK_FALSE(IsValidPath("/a\0b"s));
  CHECK_FALSE(IsValidPath("/\0"s));
  CHECK_FALSE(IsValidPath("/a\x01"));
  CHECK_FALSE(IsValidPath("/a\x1f"));
  CHECK_FALSE(IsValidPath("/a\x7f"));
  CHECK_FALSE(IsValidPath("/a\xc2\x80"));         // U+0080
  CHECK_FALSE(IsValidPath("/a\xc2\x9f"));         // U+009F
  CHECK_FALSE(IsValidPath("/\xed\xa0\x80"));      // U+D800, a surrogate
  CHECK_FALSE(IsValidPath("/\xee\x80\x80"));      // U+E000, private use (inside D800-F8FF)
  CHECK_FALSE(IsValidPath("/\xef\xa3\xbf"));      // U+F8FF
  CHECK_FALSE(IsValidPath("/\xef\xbf\xb0"));      // U+FFF0
  CHECK_FALSE(IsValidPath("/\xef\xbf\xbf"));      // U+FFFF
  CHECK_FALSE(IsValidPath("/\xf0\x9f\x98\x80"));  // U+1F600: a surrogate pair in Java
}

TEST_CASE("IsValidPath rejects invalid UTF-8") {
  CHECK_FALSE(IsValidPath("/\x80"));       // lone continuation byte
  CHECK_FALSE(IsValidPath("/a\xc3"));      // truncated two-byte sequence
  CHECK_FALSE(IsValidPath("/a\xc3/b"));    // continuation replaced by '/'
  CHECK_FALSE(IsValidPath("/a\xe4\xb8"));  // truncated three-byte sequence
  CHECK_FALSE(IsValidPath("/\xff"));
  CHECK_FALSE(IsValidPath("/\xfe\xfe"));
  CHECK_FALSE(IsValidPath("/\xf8\x88\x80\x80\x80"));  // five-byte form
  // Overlong encodings: Java decodes them to U+FFFD, which ZooKeeper forbids.
  CHECK_FALSE(
      IsValidPath("/a\xc0\xaf"
                  "b"));                           // overlong '/'
  CHECK_FALSE(IsValidPath("/a\xc1\x81"));          // overlong 'A'
  CHECK_FALSE(IsValidPath("/a\xc0\x80"));          // overlong NUL
  CHECK_FALSE(IsValidPath("/a\xe0\x80\xaf"));      // three-byte overlong '/'
  CHECK_FALSE(IsValidPath("/a\xf0\x80\x80\xaf"));  // four-byte overlong '/'
  CHECK_FALSE(IsValidPath("/a\xc0\xae"));          // overlong '.'
}

TEST_CASE("IsValidPath with sequential allows the trailing slash only") {
  CHECK(IsValidPath("/a/", true));
  CHECK(IsValidPath("/a", true));
  CHECK(IsValidPath("/a/b-", true));
  CHECK_FALSE(IsValidPath("/a/", false));
  CHECK_FALSE(IsValidPath("/a//", true));
  CHECK_FALSE(IsValidPath("a/", true));
  CHECK_FALSE(IsValidPath("", true));
  CHECK_FALSE(IsValidPath("/a/./", true));
  CHECK_FALSE(IsValidPath("/a\x01/", true));
}

TEST_CASE("ParentPath and NodeName split a path") {
  CHECK(ParentPath("/a") == "/");
  CHECK(ParentPath("/a/b") == "/a");
  CHECK(ParentPath("/a/b/c") == "/a/b");
  CHECK(ParentPath("/zookeeper/quota") == "/zookeeper");
  CHECK(NodeName("/a") == "a");
  CHECK(NodeName("/a/b") == "b");
  CHECK(NodeName("/a/bc/def") == "def");
  CHECK(NodeName("/") == "");
}

TEST_CASE("JoinPath inverts ParentPath/NodeName") {
  CHECK(JoinPath("/", "a") == "/a");
  CHECK(JoinPath("/a", "b") == "/a/b");
  CHECK(JoinPath("/a/b", "c") == "/a/b/c");
  for (std::string_view p : {"/a", "/a/b", "/x/yy/zzz", "/zookeeper/config"}) {
    CHECK(JoinPath(ParentPath(p), NodeName(p)) == p);
  }
}

TEST_CASE("PathCovers is component-wise") {
  CHECK(PathCovers("/a", "/a"));
  CHECK(PathCovers("/a", "/a/b"));
  CHECK(PathCovers("/a", "/a/b/c"));
  CHECK_FALSE(PathCovers("/a", "/ab"));
  CHECK_FALSE(PathCovers("/a", "/"));
  CHECK_FALSE(PathCovers("/a/b", "/a"));
  CHECK_FALSE(PathCovers("/a/b", "/a/bc"));
  CHECK(PathCovers("/", "/"));
  CHECK(PathCovers("/", "/a"));
  CHECK(PathCovers("/", "/zookeeper/quota"));
}

}  // namespace
}  // namespace zk::server
