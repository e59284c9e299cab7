// Dubbo's URL model: ToFullString / Parse as URL.toFullString / URL.valueOf, URL.encode / decode
// as java.net.URLEncoder / URLDecoder, and the registry's paths, by exact strings.
#include "client/discovery/dubbo_url.h"

#include <doctest/doctest.h>

#include "client/discovery/dubbo_registry.h"

namespace zk::discovery {
namespace {

DubboUrl GreeterProvider() {
  DubboServiceSpec spec;
  spec.interface = "org.example.Greeter";
  spec.application = "greeter";
  spec.methods = "greet,ping";
  spec.host = "10.0.0.5";
  spec.port = 20880;
  spec.pid = 4242;
  spec.timestamp_ms = 1700000000000;
  return MakeProviderUrl(spec);
}

TEST_CASE("dubbo url: a provider URL is built with Dubbo's parameters in TreeMap order") {
  const DubboUrl url = GreeterProvider();
  CHECK(url.ToFullString() ==
        "dubbo://10.0.0.5:20880/org.example.Greeter?anyhost=true&application=greeter"
        "&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=org.example.Greeter"
        "&methods=greet,ping&pid=4242&release=2.7.8&side=provider&timestamp=1700000000000");
  CHECK(url.ServiceInterface() == "org.example.Greeter");
  CHECK(url.Category() == "providers");
}

TEST_CASE("dubbo url: optional provider parameters and a consumer URL") {
  DubboServiceSpec spec;
  spec.interface = "org.example.Greeter";
  spec.application = "app";
  spec.methods = "greet";
  spec.host = "10.0.0.6";
  spec.pid = 7;
  spec.timestamp_ms = 123;
  spec.group = "g1";
  spec.version = "1.0.0";
  spec.weight = 200;
  spec.dynamic = false;
  spec.anyhost = false;
  CHECK(MakeProviderUrl(spec).ToFullString() ==
        "dubbo://10.0.0.6:20880/org.example.Greeter?anyhost=false&application=app"
        "&deprecated=false&dubbo=2.0.2&dynamic=false&generic=false&group=g1"
        "&interface=org.example.Greeter&methods=greet&pid=7&release=2.7.8&side=provider"
        "&timestamp=123&version=1.0.0&weight=200");
  spec.group.clear();
  spec.version.clear();
  const DubboUrl consumer = MakeConsumerUrl(spec);
  CHECK(consumer.ToFullString() ==
        "consumer://10.0.0.6/org.example.Greeter?application=app&category=consumers&check=false"
        "&dubbo=2.0.2&interface=org.example.Greeter&methods=greet&pid=7&release=2.7.8"
        "&side=consumer&sticky=false&timestamp=123");
  CHECK(consumer.Category() == "consumers");
}

TEST_CASE("dubbo url: keys sort as Java Strings, empty keys are left out, values are trimmed") {
  DubboUrl url;
  url.protocol = "dubbo";
  url.host = "h";
  url.parameters = {{"b", "2"},      {"B", "1"}, {"a.b", " x \t"},
                    {"", "dropped"}, {"_", "u"}, {"a", ""}};
  CHECK(url.ToFullString() == "dubbo://h?B=1&_=u&a=&a.b=x&b=2");
  // Java orders by UTF-16 code units: U+1F600 (a surrogate pair, 0xD83D...) before U+FF21.
  JavaStringLess less;
  CHECK(less("\xF0\x9F\x98\x80", "\xEF\xBC\xA1"));
  CHECK_FALSE(less("\xEF\xBC\xA1", "\xF0\x9F\x98\x80"));
  CHECK(less("\xC3\xA9", "\xEF\xBC\xA1"));
  CHECK(less("ab", "abc"));
  CHECK_FALSE(less("abc", "ab"));
  CHECK_FALSE(less("ab", "ab"));
}

TEST_CASE("dubbo url: the parts of a URL: user, password, no port, no path, no protocol") {
  DubboUrl url;
  url.protocol = "zookeeper";
  url.username = "admin";
  url.password = "s3cret";
  url.host = "127.0.0.1";
  url.port = 2181;
  url.path = "org.apache.dubbo.registry.RegistryService";
  url.parameters = {{"backup", "127.0.0.1:2182"}};
  CHECK(url.ToFullString() ==
        "zookeeper://admin:s3cret@127.0.0.1:2181/org.apache.dubbo.registry.RegistryService"
        "?backup=127.0.0.1:2182");
  auto parsed = DubboUrl::Parse(url.ToFullString());
  REQUIRE(parsed);
  CHECK(*parsed == url);

  auto bare = DubboUrl::Parse("192.168.1.3:20880");
  REQUIRE(bare);
  CHECK(bare->protocol.empty());
  CHECK(bare->host == "192.168.1.3");
  CHECK(bare->port == 20880);
  CHECK(bare->path.empty());

  auto file = DubboUrl::Parse("file:///home/user1/router.js?type=script");
  REQUIRE(file);
  CHECK(file->protocol == "file");
  CHECK(file->host.empty());
  CHECK(file->path == "home/user1/router.js");
  CHECK(file->parameters.at("type") == "script");
  CHECK(file->ToFullString() == "file:///home/user1/router.js?type=script");

  auto scoped = DubboUrl::Parse("dubbo://fe80:0:0:0:894:aeec:f37d:23e1%en0/x");
  REQUIRE(scoped);
  CHECK(scoped->host == "fe80:0:0:0:894:aeec:f37d:23e1%en0");
  CHECK(scoped->port == 0);
}

TEST_CASE("dubbo url: Parse reads parameters as URL.valueOf does") {
  auto url = DubboUrl::Parse(" dubbo://h:1/p?a=1& b = 2 &flag&&c=x=y&a=3 ");
  REQUIRE(url);
  CHECK(url->parameters.size() == 4);
  CHECK(url->parameters.at("a") == "3");        // the last one wins (a HashMap)
  CHECK(url->parameters.at("b ") == " 2");      // the part is trimmed, not key or value
  CHECK(url->parameters.at("flag") == "flag");  // a key alone is its own value
  CHECK(url->parameters.at("c") == "x=y");      // split at the first '='
  CHECK(url->Parameter("missing", "d") == "d");
  CHECK(url->Parameter("a") == "3");
}

TEST_CASE("dubbo url: what Dubbo rejects") {
  CHECK_FALSE(DubboUrl::Parse(""));
  CHECK_FALSE(DubboUrl::Parse("   "));
  CHECK_FALSE(DubboUrl::Parse("://h:1"));
  CHECK_FALSE(DubboUrl::Parse("dubbo://h:port/x"));
  CHECK_FALSE(DubboUrl::Parse("dubbo://:pw@h:1/x"));
}

TEST_CASE("dubbo url: Parse gives back what ToFullString wrote; Representable says when") {
  const DubboUrl url = GreeterProvider();
  auto parsed = DubboUrl::Parse(url.ToFullString());
  REQUIRE(parsed);
  CHECK(*parsed == url);
  CHECK(url.Representable());
  DubboUrl bad = url;
  bad.parameters["q"] = "a&b";
  CHECK_FALSE(bad.Representable());
  bad = url;
  bad.parameters["v"] = " padded ";  // written trimmed
  CHECK_FALSE(bad.Representable());
  bad = url;
  bad.path = "/leading";
  CHECK_FALSE(bad.Representable());
}

TEST_CASE("dubbo url: URL.encode is java.net.URLEncoder (UTF-8)") {
  CHECK(DubboEncode("") == "");
  CHECK(DubboEncode("azAZ09.-*_") == "azAZ09.-*_");
  CHECK(DubboEncode("a b") == "a+b");
  CHECK(DubboEncode("~") == "%7E");
  CHECK(DubboEncode("+%&=?/:#,@!'()") == "%2B%25%26%3D%3F%2F%3A%23%2C%40%21%27%28%29");
  CHECK(DubboEncode("\xC3\xA9") == "%C3%A9");                // é
  CHECK(DubboEncode("\xE4\xB8\xAD") == "%E4%B8%AD");         // 中
  CHECK(DubboEncode("\xF0\x9F\x98\x80") == "%F0%9F%98%80");  // U+1F600
  CHECK(DubboEncode(std::string("\0\x7f", 2)) == "%00%7F");
  CHECK(DubboEncode("dubbo://10.0.0.5:20880/org.example.Greeter?anyhost=true&methods=a,b") ==
        "dubbo%3A%2F%2F10.0.0.5%3A20880%2Forg.example.Greeter%3Fanyhost%3Dtrue%26methods%3Da%2Cb");
}

TEST_CASE("dubbo url: URL.decode is java.net.URLDecoder (UTF-8)") {
  CHECK(DubboDecode("a+b%20c") == "a b c");
  CHECK(DubboDecode("%c3%A9~*") == "\xC3\xA9~*");
  CHECK(DubboDecode("%2B") == "+");
  CHECK(DubboDecode("%+A") == "\x0A");  // Integer.parseInt accepts a sign
  CHECK(DubboDecode("%-0") == std::string("\0", 1));
  CHECK_FALSE(DubboDecode("%"));
  CHECK_FALSE(DubboDecode("%4"));
  CHECK_FALSE(DubboDecode("%G0"));
  CHECK_FALSE(DubboDecode("%-1"));
  for (std::string s :
       {"", "plain", "a b+c%d", "dubbo://h:1/x?a=1&b=2,3", "\xE4\xB8\xAD \xF0\x9F\x98\x80"}) {
    CHECK(DubboDecode(DubboEncode(s)) == s);
  }
}

TEST_CASE("dubbo registry: paths as ZookeeperRegistry.toUrlPath writes them") {
  const DubboUrl url = GreeterProvider();
  CHECK(DubboRootPath("dubbo") == "/dubbo");
  CHECK(DubboRootPath("/dubbo") == "/dubbo");
  CHECK(DubboRootPath("/") == "/");
  CHECK(DubboServicePath("/dubbo", "org.example.Greeter") == "/dubbo/org.example.Greeter");
  CHECK(DubboServicePath("/", "org.example.Greeter") == "/org.example.Greeter");
  CHECK(DubboServicePath("g", "a$b c") == "/g/a%24b+c");  // the interface is encoded too
  CHECK(DubboCategoryPath("/dubbo", "org.example.Greeter", "routers") ==
        "/dubbo/org.example.Greeter/routers");
  CHECK(DubboUrlPath("/dubbo", url) ==
        "/dubbo/org.example.Greeter/providers/"
        "dubbo%3A%2F%2F10.0.0.5%3A20880%2Forg.example.Greeter%3Fanyhost%3Dtrue%26application%3D"
        "greeter%26deprecated%3Dfalse%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26"
        "interface%3Dorg.example.Greeter%26methods%3Dgreet%2Cping%26pid%3D4242%26release%3D2.7.8"
        "%26side%3Dprovider%26timestamp%3D1700000000000");
}

TEST_CASE("dubbo registry: node names decode to URLs; other names are not URLs") {
  const DubboUrl url = GreeterProvider();
  auto decoded = DecodeDubboNodeName(DubboEncode(url.ToFullString()));
  REQUIRE(decoded);
  CHECK(*decoded == url);
  CHECK_FALSE(DecodeDubboNodeName("some-node"));
  CHECK_FALSE(DecodeDubboNodeName("dubbo://raw"));       // not encoded: Dubbo skips it too
  CHECK_FALSE(DecodeDubboNodeName("dubbo%3A%2F%2F%G"));  // bad escape
}

}  // namespace
}  // namespace zk::discovery
