// Service registry commands (zkcli's own), on zk::discovery in Curator's curator-x-discovery
// layout (<base>/<service>/<instance id>, base /services unless -b):
//   services [ls]                      the service names and their instance counts
//   services ls <name> [--json]        the instances of a service: a table, or JSON
//   services watch <name>              changes of a service's instances as they happen (Ctrl-C)
//   services register <name> --id ID --address HOST --port N [--payload JSON] -- command...
//                                      an instance registered while the command runs
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/discovery/instance_json.h"
#include "client/discovery/service_cache.h"
#include "client/discovery/service_discovery.h"
#include "client/recipes/contenders.h"
#include "client/zkcli/child_process.h"
#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

namespace {

using discovery::ServiceInstance;

constexpr const char* kUsage =
    "services [ls] | services ls name [--json] | services watch name | "
    "services register name --id ID --address HOST --port N [--payload JSON] -- command...";

std::string Endpoint(const ServiceInstance& i) {
  std::string s = i.address;
  if (i.port) s += ":" + std::to_string(*i.port);
  return s;
}

Json InstanceJson(const ServiceInstance& i) {
  return Json::parse(discovery::ToCuratorJson(i));
}

void ListNames(Shell& shell, const std::string& base) {
  client::Client& zk = shell.Session();
  auto names = zk.GetChildren(base);
  if (names.err() == Err::kNoNode) names = client::ChildrenResult{};
  shell.Check(names, base);
  std::sort(names->children.begin(), names->children.end());
  Json list = Json::array();
  for (const auto& name : names->children) {
    auto n = zk.GetChildren(recipes::JoinPath(base, name));
    const size_t count = n.ok() ? n->children.size() : 0;
    if (shell.json()) {
      list.push_back(Json{{"name", name}, {"instances", count}});
    } else {
      shell.out() << name << " " << count << "\n";
    }
  }
  if (shell.json()) shell.EmitJson(Json{{"base", base}, {"services", list}});
}

void ListInstances(Shell& shell, const std::string& base, const std::string& name, bool json) {
  client::Client& zk = shell.Session();
  discovery::ServiceDiscoveryOptions opts;
  opts.base_path = base;
  opts.watch_instances = false;
  discovery::ServiceDiscovery registry(zk, opts);
  auto instances = registry.QueryForInstances(name);
  shell.Check(instances, recipes::JoinPath(base, name));
  std::sort(instances->begin(), instances->end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  if (json || shell.json()) {
    Json list = Json::array();
    for (const auto& i : *instances) list.push_back(InstanceJson(i));
    shell.EmitJson(Json{{"name", name}, {"instances", list}});
    return;
  }
  for (const auto& i : *instances) {
    shell.out() << i.id << " " << Endpoint(i) << (i.ssl_port ? " ssl:" + std::to_string(*i.ssl_port) : "")
                << " " << discovery::ServiceTypeName(i.service_type)
                << (i.enabled ? "" : " disabled")
                << (i.payload_json.empty() ? "" : " payload=" + i.payload_json) << "\n";
  }
}

void Watch(Shell& shell, const std::string& base, const std::string& name) {
  client::Client& zk = shell.Session();
  discovery::ServiceCache cache(zk, base, name);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t changes = 0;
  bool ended = false;
  cache.AddListener([&](bool session_ended) {
    std::lock_guard<std::mutex> l(mu);
    ++changes;
    ended = ended || session_ended;
    cv.notify_all();
  });
  shell.Check(cache.Start(), recipes::JoinPath(base, name));
  while (!shell.Check(cache.AwaitInitialized(std::chrono::milliseconds(100)), name)) {
    shell.ThrowIfInterrupted();
  }
  shell.err() << "Watching service " << name << " (Ctrl-C to stop)" << std::endl;
  std::map<std::string, ServiceInstance> shown;
  auto emit = [&](const char* what, const ServiceInstance& i) {
    if (shell.json()) {
      shell.EmitJson(Json{{"event", what}, {"instance", InstanceJson(i)}});
    } else {
      shell.out() << what << " " << i.id << " " << Endpoint(i) << (i.enabled ? "" : " disabled")
                  << "\n";
    }
  };
  uint64_t seen = ~uint64_t{0};
  while (true) {
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait_for(l, std::chrono::milliseconds(100), [&] { return changes != seen; });
      if (ended) throw CommandError{kExitFailed, "the session ended"};
      if (changes == seen) {
        l.unlock();
        if (g_interrupted.exchange(false)) break;
        continue;
      }
      seen = changes;
    }
    std::map<std::string, ServiceInstance> now;
    for (auto& i : cache.Instances()) now.emplace(i.id, i);
    for (const auto& [id, i] : now) {
      auto it = shown.find(id);
      if (it == shown.end()) {
        emit("added", i);
      } else if (!(it->second == i)) {
        emit("updated", i);
      }
    }
    for (const auto& [id, i] : shown) {
      if (!now.count(id)) emit("removed", i);
    }
    shown = std::move(now);
    shell.out().flush();
  }
  cache.Close();
}

void Register(Shell& shell, const std::string& base, const std::vector<std::string>& words) {
  // words: name, then --key value pairs, then the command (what followed "--").
  if (words.size() < 2) shell.UsageError("services", kUsage);
  ServiceInstance me;
  me.name = words[1];
  size_t i = 2;
  for (; i + 1 < words.size() && words[i].starts_with("--"); i += 2) {
    const std::string& key = words[i];
    const std::string& value = words[i + 1];
    if (key == "--id") {
      me.id = value;
    } else if (key == "--address") {
      me.address = value;
    } else if (key == "--port" || key == "--ssl-port") {
      auto port = ParseInt(value, 0, 65535);
      if (!port) shell.UsageError("services", key + " takes a port number");
      (key == "--port" ? me.port : me.ssl_port) = static_cast<int32_t>(*port);
    } else if (key == "--payload") {
      if (!Json::accept(value)) shell.UsageError("services", "--payload takes JSON");
      me.payload_json = value;
    } else {
      shell.UsageError("services", "unknown option " + key);
    }
  }
  std::vector<std::string> command(words.begin() + static_cast<long>(i), words.end());
  if (me.id.empty() || me.address.empty() || command.empty()) {
    shell.UsageError("services", "register needs --id, --address and a command after --");
  }
  me.registration_time_utc = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  client::Client& zk = shell.Session();
  discovery::ServiceDiscoveryOptions opts;
  opts.base_path = base;
  discovery::ServiceDiscovery registry(zk, opts);
  shell.Check(registry.Register(me), recipes::JoinPath(base, me.name));
  shell.err() << "registered " << registry.InstancePath(me.name, me.id) << std::endl;
  std::atomic<bool> session_ok{true};
  const uint64_t listener = zk.AddStateListener([&session_ok](client::ConnectionState cs) {
    if (cs == client::ConnectionState::kExpired || cs == client::ConnectionState::kClosed) {
      session_ok = false;
    }
  });
  int code = WaitChild(Spawn(command), [&] { return session_ok.load(); });
  zk.RemoveStateListener(listener);
  const bool lost = !session_ok.load();
  registry.Close();
  if (lost) throw CommandError{kExitFailed, "the session ended; the command was stopped"};
  if (code != 0) throw CommandError{code, ""};
}

}  // namespace

void RunServices(Shell& shell, const ParsedArgs& args) {
  const std::string base = args.Value('b') ? RequirePath(*args.Value('b')) : "/services";
  const auto& words = args.positional;
  if (words.empty() || (words[0] == "ls" && words.size() == 1)) return ListNames(shell, base);
  if (words[0] == "ls" && (words.size() == 2 || (words.size() == 3 && words[2] == "--json"))) {
    return ListInstances(shell, base, words[1], words.size() == 3);
  }
  if (words[0] == "watch" && words.size() == 2) return Watch(shell, base, words[1]);
  if (words[0] == "register") return Register(shell, base, words);
  shell.UsageError("services", kUsage);
}

}  // namespace zk::zkcli
