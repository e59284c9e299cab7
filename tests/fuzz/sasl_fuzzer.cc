// Fuzzes the SASL inputs that come from outside: the first byte picks the target. 0: a DIGEST-MD5
// exchange (server/digest_md5.h) whose client response is the rest of the input; checks that an
// exchange either fails with a message or completes only for the known user's right response
// (which random bytes never produce), and that a failed exchange stays failed. 1: the JAAS parser
// (server/jaas_config.h); checks that a parse error has a message naming a line.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/digest_md5.h"
#include "server/jaas_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    DigestMd5Server server(
        [](std::string_view user) -> std::optional<std::string> {
          if (user == "bob") return "bobsecret";
          return std::nullopt;
        },
        "fuzznonce");
    std::string reply, error;
    FUZZ_CHECK(server.Step("", &reply, &error));
    if (server.Step(input, &reply, &error)) {
      FUZZ_CHECK(server.complete() && server.user() == "bob");
      FUZZ_CHECK(reply.starts_with("rspauth="));
    } else {
      FUZZ_CHECK(!error.empty());
      FUZZ_CHECK(server.state() == DigestMd5Server::State::kFailed);
      FUZZ_CHECK(!server.Step(input, &reply, &error));
    }
    DigestDirectives d;
    if (!ParseDigestDirectives(input, &d, &error)) FUZZ_CHECK(!error.empty());
    return 0;
  }
  auto config = ParseJaasConfig(input);
  if (!config.ok()) FUZZ_CHECK(config.status().message().starts_with("line "));
  return 0;
}
