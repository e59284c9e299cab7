// client_tests' main: skips (exit 77) the Apache variant when java is missing outside CI.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* kind = std::getenv("ZK_TEST_SERVER");
  const char* ci = std::getenv("CI");
  if (kind != nullptr && std::string(kind) == "apache" &&
      (access("/usr/bin/java", X_OK) != 0 || access("/usr/share/java/zookeeper.jar", R_OK) != 0)) {
    if (ci == nullptr || std::string(ci) != "true") {
      std::printf("SKIP: Apache ZooKeeper variant needs /usr/bin/java and zookeeper.jar\n");
      return 77;
    }
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
