#include "server/sharded_hash_set.h"

#include <doctest/doctest.h>

#include <absl/hash/hash.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zk::server {
namespace {

// Strings looked up by string_view, as the tree's child sets look up Node* by name.
struct Hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return absl::Hash<std::string_view>{}(s); }
};
struct Eq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
using Set = ShardedHashSet<std::string, Hash, Eq>;

std::string Name(int i) { return "n-" + std::to_string(i); }

std::multiset<std::string> Iterated(const Set& set) {
  std::multiset<std::string> out;
  for (const std::string& s : set) out.insert(s);
  return out;
}

TEST_CASE("sharded hash set: small, it is one set") {
  Set set;
  CHECK(set.empty());
  CHECK(set.begin() == set.end());
  CHECK(set.insert("a").second);
  CHECK(set.insert("b").second);
  CHECK_FALSE(set.insert("a").second);
  CHECK(set.size() == 2);
  CHECK_FALSE(set.split());
  CHECK(set.contains(std::string_view("a")));
  CHECK_FALSE(set.contains(std::string_view("c")));
  REQUIRE(set.find(std::string_view("b")) != set.end());
  CHECK(*set.find(std::string_view("b")) == "b");
  CHECK(Iterated(set) == std::multiset<std::string>{"a", "b"});
  CHECK(set.erase(std::string_view("a")) == 1);
  CHECK(set.erase(std::string_view("a")) == 0);
  CHECK(Iterated(set) == std::multiset<std::string>{"b"});
}

TEST_CASE("sharded hash set: past the split size every element is still found, once") {
  const int n = static_cast<int>(Set::kSplitAt) * 3;
  Set set;
  std::multiset<std::string> expected;
  for (int i = 0; i < n; ++i) {
    REQUIRE(set.insert(Name(i)).second);
    expected.insert(Name(i));
    if (i == static_cast<int>(Set::kSplitAt) - 3) CHECK_FALSE(set.split());
  }
  CHECK(set.split());
  CHECK(set.size() == static_cast<size_t>(n));
  CHECK_FALSE(set.insert(Name(7)).second);
  CHECK(set.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto it = set.find(std::string_view(Name(i)));
    REQUIRE(it != set.end());
    CHECK(*it == Name(i));
  }
  CHECK_FALSE(set.contains(std::string_view(Name(n))));
  CHECK(Iterated(set) == expected);

  // Erase every other one: gone from lookups and from iteration, the rest stay.
  for (int i = 0; i < n; i += 2) {
    CHECK(set.erase(std::string_view(Name(i))) == 1);
    expected.erase(Name(i));
  }
  CHECK(set.size() == static_cast<size_t>(n / 2));
  CHECK_FALSE(set.contains(std::string_view(Name(0))));
  CHECK(set.contains(std::string_view(Name(1))));
  CHECK(Iterated(set) == expected);
  CHECK(static_cast<size_t>(std::distance(set.begin(), set.end())) == set.size());

  // Emptied after the split: iteration is empty, inserts work again.
  for (int i = 1; i < n; i += 2) CHECK(set.erase(std::string_view(Name(i))) == 1);
  CHECK(set.empty());
  CHECK(set.begin() == set.end());
  CHECK(set.insert("again").second);
  CHECK(Iterated(set) == std::multiset<std::string>{"again"});
}

TEST_CASE("sharded hash set: reserve for a large count splits up front") {
  Set set;
  set.reserve(Set::kSplitAt * 2);
  CHECK(set.split());
  CHECK(set.empty());
  for (int i = 0; i < 1000; ++i) CHECK(set.insert(Name(i)).second);
  CHECK(set.size() == 1000);
  CHECK(set.contains(std::string_view(Name(999))));

  Set small;
  small.reserve(100);
  CHECK_FALSE(small.split());
}

TEST_CASE("sharded hash set: an iterator returned by insert points at the element") {
  Set set;
  for (int i = 0; i < static_cast<int>(Set::kSplitAt) + 10; ++i) {
    auto [it, inserted] = set.insert(Name(i));
    REQUIRE(inserted);
    CHECK(*it == Name(i));
  }
  auto [it, inserted] = set.insert(Name(3));
  CHECK_FALSE(inserted);
  CHECK(*it == Name(3));
}

}  // namespace
}  // namespace zk::server
