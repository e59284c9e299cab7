// Every operation and its error paths, against the server under test.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>

#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("create, exists, getData, setData, delete and their error codes") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("crud");
  auto cr = c->Create(p, "v1");
  REQUIRE(cr.ok());
  CHECK(cr->path == p);
  CHECK(cr->stat.version == 0);
  CHECK(cr->stat.data_length == 2);
  CHECK(c->Create(p, "x").err() == Err::kNodeExists);
  CHECK(c->Create(p + "/a/b", "").err() == Err::kNoNode);
  CHECK(c->Create("bad", "").err() == Err::kBadArguments);
  CHECK(c->Create(p + "/", "").err() == Err::kBadArguments);
  CHECK(c->Create(p + "/./x", "").err() == Err::kBadArguments);
  CHECK(c->Create(p + "/x", "", {}).err() == Err::kBadArguments);  // empty ACL

  auto st = c->Exists(p);
  REQUIRE(st.ok());
  CHECK(st->czxid == cr->stat.czxid);
  CHECK(c->Exists(p + "/none").err() == Err::kNoNode);

  auto d = c->GetData(p);
  REQUIRE(d.ok());
  CHECK(d->data == "v1");
  CHECK(c->GetData(p + "/none").err() == Err::kNoNode);

  auto s1 = c->SetData(p, "v2", 0);
  REQUIRE(s1.ok());
  CHECK(s1->version == 1);
  CHECK(c->SetData(p, "v3", 0).err() == Err::kBadVersion);
  CHECK(c->SetData(p + "/none", "v3").err() == Err::kNoNode);
  CHECK(c->GetData(p)->data == "v2");

  REQUIRE(c->Create(p + "/child", "").ok());
  CHECK(c->Delete(p).err() == Err::kNotEmpty);
  CHECK(c->Delete(p + "/child", 5).err() == Err::kBadVersion);
  CHECK(c->Delete(p + "/child", 0).ok());
  CHECK(c->Delete(p + "/child").err() == Err::kNoNode);
  CHECK(c->Delete("/").err() == Err::kBadArguments);
  CHECK(c->Delete(p, 1).ok());
  CHECK(c->Exists(p).err() == Err::kNoNode);
}

TEST_CASE("create modes: sequential naming, ephemeral owner, container, TTL") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("modes");
  REQUIRE(c->Create(p, "").ok());
  auto s0 = c->Create(p + "/s-", "", OpenAclUnsafe(), CreateMode::kPersistentSequential);
  auto s1 = c->Create(p + "/s-", "", OpenAclUnsafe(), CreateMode::kEphemeralSequential);
  REQUIRE(s0.ok());
  REQUIRE(s1.ok());
  CHECK(s0->path == p + "/s-0000000000");
  CHECK(s1->path == p + "/s-0000000001");
  CHECK(s0->stat.ephemeral_owner == 0);
  CHECK(s1->stat.ephemeral_owner == c->session_id());

  auto e = c->Create(p + "/e", "", OpenAclUnsafe(), CreateMode::kEphemeral);
  REQUIRE(e.ok());
  CHECK(e->stat.ephemeral_owner == c->session_id());
  CHECK(c->Create(p + "/e/x", "").err() == Err::kNoChildrenForEphemerals);

  auto ct = c->Create(p + "/c", "", OpenAclUnsafe(), CreateMode::kContainer);
  REQUIRE(ct.ok());
  // Both servers (Apache 3.8 and zabkeeper) report ephemeralOwner 0 to clients for container
  // and TTL nodes; the encoding stays internal.
  CHECK(c->Exists(p + "/c")->ephemeral_owner == 0);

  auto t = c->Create(p + "/ttl", "", OpenAclUnsafe(), CreateMode::kPersistentWithTtl, 60000);
  REQUIRE(t.ok());
  CHECK(c->Exists(p + "/ttl")->ephemeral_owner == 0);
  auto ts = c->Create(p + "/ttl-", "", OpenAclUnsafe(), CreateMode::kPersistentSequentialWithTtl,
                      1000);
  REQUIRE(ts.ok());
  CHECK(ts->path.starts_with(p + "/ttl-00000000"));
  CHECK(c->Create(p + "/bad", "", OpenAclUnsafe(), CreateMode::kPersistentWithTtl, 0).err() ==
        Err::kBadArguments);
  CHECK(c->Create(p + "/bad", "", OpenAclUnsafe(), CreateMode::kPersistent, 5).err() ==
        Err::kBadArguments);
}

TEST_CASE("children, counts, ephemerals, sync") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("kids");
  REQUIRE(c->Create(p, "").ok());
  REQUIRE(c->Create(p + "/a", "").ok());
  REQUIRE(c->Create(p + "/b", "").ok());
  REQUIRE(c->Create(p + "/a/x", "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  auto k = c->GetChildren(p);
  REQUIRE(k.ok());
  auto names = k->children;
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"a", "b"});
  auto k2 = c->GetChildren2(p);
  REQUIRE(k2.ok());
  CHECK(k2->stat.num_children == 2);
  CHECK(k2->children.size() == 2);
  CHECK(c->GetChildren(p + "/none").err() == Err::kNoNode);
  CHECK(c->GetChildren2(p + "/none").err() == Err::kNoNode);
  auto n = c->GetAllChildrenNumber(p);
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK(c->GetAllChildrenNumber(p + "/none").err() == Err::kNoNode);
  auto eph = c->GetEphemerals(p);
  REQUIRE(eph.ok());
  CHECK(*eph == std::vector<std::string>{p + "/a/x"});
  auto s = c->Sync(p);
  REQUIRE(s.ok());
  CHECK(*s == p);
}

TEST_CASE("ACLs, digest auth and whoAmI") {
  auto c = Connect(Server().hosts());
  auto other = Connect(Server().hosts());
  const std::string p = UniquePath("acl");
  REQUIRE(c->AddAuth("digest", "alice:secret").ok());
  auto who = c->WhoAmI();
  REQUIRE(who.ok());
  bool has_alice = false;
  for (auto& ci : *who) has_alice |= ci.auth_scheme == "digest" && ci.user == "alice";
  CHECK(has_alice);

  REQUIRE(c->Create(p, "secret", CreatorAllAcl()).ok());
  auto acl = c->GetAcl(p);
  REQUIRE(acl.ok());
  REQUIRE(acl->acl.size() == 1);
  CHECK(acl->acl[0].id.scheme == "digest");
  CHECK(acl->acl[0].id.id == DigestId("alice", "secret"));
  CHECK(acl->acl[0].perms == perms::kAll);
  CHECK(other->GetData(p).err() == Err::kNoAuth);
  CHECK(other->SetData(p, "x").err() == Err::kNoAuth);
  CHECK(c->GetAcl(p + "/none").err() == Err::kNoNode);

  CHECK(c->SetAcl(p, ReadAclUnsafe(), 5).err() == Err::kBadVersion);
  auto st = c->SetAcl(p, ReadAclUnsafe(), 0);
  REQUIRE(st.ok());
  CHECK(st->aversion == 1);
  CHECK(other->GetData(p)->data == "secret");
  CHECK(other->SetData(p, "x").err() == Err::kNoAuth);
  CHECK(c->SetAcl(p, {Acl{perms::kAll, Id{"digest", "bad"}}}).err() == Err::kInvalidAcl);
}

TEST_CASE("a rejected addAuth ends the client with kAuthFailed") {
  StateRecorder states;
  Options o;
  o.state_listener = states.Listener();
  auto c = Connect(Server().hosts(), o);
  CHECK(c->AddAuth("nosuchscheme", "x").err() == Err::kAuthFailed);
  CHECK(states.Wait(ConnectionState::kAuthFailed, 5s));
  CHECK(c->Exists("/").err() == Err::kAuthFailed);
}

TEST_CASE("multi: all-or-nothing, per-op results") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("multi");
  REQUIRE(c->Create(p, "").ok());
  auto ok = c->Multi({Op::Create(p + "/a", "1", OpenAclUnsafe()),
                      Op::Create(p + "/s-", "", OpenAclUnsafe(), CreateMode::kPersistentSequential),
                      Op::SetData(p + "/a", "2", 0), Op::Check(p + "/a", 1),
                      Op::Delete(p + "/a", 1)});
  REQUIRE(ok.ok());
  CHECK(ok->committed());
  REQUIRE(ok->results.size() == 5);
  CHECK(ok->results[0].path == p + "/a");
  CHECK(ok->results[1].path == p + "/s-0000000001");
  CHECK(ok->results[2].stat.version == 1);
  for (auto& r : ok->results) CHECK(r.err == Err::kOk);
  CHECK(c->Exists(p + "/a").err() == Err::kNoNode);

  auto bad = c->Multi({Op::Create(p + "/b", "", OpenAclUnsafe()), Op::Check(p, 7),
                       Op::SetData(p, "x")});
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->committed());
  CHECK(bad->err == Err::kBadVersion);
  REQUIRE(bad->results.size() == 3);
  CHECK(bad->results[0].err == Err::kOk);
  CHECK(bad->results[1].err == Err::kBadVersion);
  CHECK(bad->results[2].err == Err::kRuntimeInconsistency);
  CHECK(c->Exists(p + "/b").err() == Err::kNoNode);  // nothing applied
  CHECK(c->GetData(p)->stat.version == 0);
  CHECK(c->Multi({Op::Create("rel", "", OpenAclUnsafe())}).err() == Err::kBadArguments);
  auto empty = c->Multi({});
  REQUIRE(empty.ok());
  CHECK(empty->results.empty());
}

TEST_CASE("chroot applies to requests, responses and events") {
  auto root = Connect(Server().hosts());
  const std::string base = UniquePath("chroot");
  REQUIRE(root->Create(base, "").ok());
  auto c = Connect(Server().hosts() + base);
  auto cr = c->Create("/a", "x");
  REQUIRE(cr.ok());
  CHECK(cr->path == "/a");
  CHECK(root->GetData(base + "/a")->data == "x");
  auto seq = c->Create("/q-", "", OpenAclUnsafe(), CreateMode::kEphemeralSequential);
  REQUIRE(seq.ok());
  CHECK(seq->path == "/q-0000000001");
  auto kids = c->GetChildren("/");
  REQUIRE(kids.ok());
  CHECK(kids->children.size() == 2);
  auto eph = c->GetEphemerals("/");
  REQUIRE(eph.ok());
  CHECK(*eph == std::vector<std::string>{"/q-0000000001"});
  CHECK(*c->Sync("/a") == "/a");
  auto m = c->Multi({Op::Create("/m", "", OpenAclUnsafe())});
  REQUIRE(m.ok());
  CHECK(m->results[0].path == "/m");
  EventSink sink;
  REQUIRE(c->GetData("/a", sink.Make()).ok());
  REQUIRE(root->SetData(base + "/a", "y").ok());
  REQUIRE(sink.WaitCount(1, 5s));
  CHECK(sink.Events()[0].path == "/a");
  CHECK(sink.Events()[0].type == EventType::kNodeDataChanged);
}

TEST_CASE("watches fire once with the right event and path") {
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  const std::string p = UniquePath("watch");
  EventSink created, data, child, deleted;
  CHECK(c->Exists(p, created.Make()).err() == Err::kNoNode);
  REQUIRE(w->Create(p, "").ok());
  REQUIRE(created.WaitCount(1, 5s));
  CHECK(created.Events()[0].type == EventType::kNodeCreated);
  CHECK(created.Events()[0].path == p);

  REQUIRE(c->GetData(p, data.Make()).ok());
  REQUIRE(c->GetChildren(p, child.Make()).ok());
  REQUIRE(w->SetData(p, "1").ok());
  REQUIRE(data.WaitCount(1, 5s));
  CHECK(data.Events()[0].type == EventType::kNodeDataChanged);
  CHECK(data.Events()[0].path == p);
  REQUIRE(w->Create(p + "/k", "").ok());
  REQUIRE(child.WaitCount(1, 5s));
  CHECK(child.Events()[0].type == EventType::kNodeChildrenChanged);
  CHECK(child.Events()[0].path == p);

  // One-shot: further changes do not fire again. The client's own read after the changes is
  // answered after any event the server sent for them, so the count is final then.
  REQUIRE(w->SetData(p, "2").ok());
  REQUIRE(w->Create(p + "/k2", "").ok());
  REQUIRE(c->Sync(p).ok());
  REQUIRE(c->GetData(p).ok());
  CHECK(data.Events().size() == 1);
  CHECK(child.Events().size() == 1);
  CHECK(created.Events().size() == 1);

  REQUIRE(c->Exists(p + "/k", deleted.Make()).ok());
  REQUIRE(w->Delete(p + "/k").ok());
  REQUIRE(deleted.WaitCount(1, 5s));
  CHECK(deleted.Events()[0].type == EventType::kNodeDeleted);
  CHECK(deleted.Events()[0].path == p + "/k");
}

TEST_CASE("many outstanding async requests complete in order") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("pipe");
  REQUIRE(c->Create(p, "").ok());
  constexpr int kN = 2000;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::future<Result<Stat>>> futures;
  for (int i = 0; i < kN; ++i) {
    c->SetDataAsync(p, std::to_string(i), kAnyVersion, [&, i](Result<Stat> r) {
      std::lock_guard<std::mutex> l(mu);
      if (r.ok()) order.push_back(i);
    });
  }
  auto last = c->GetDataFuture(p);
  REQUIRE(last.wait_for(30s) == std::future_status::ready);
  auto d = last.get();
  REQUIRE(d.ok());
  CHECK(d->data == std::to_string(kN - 1));
  CHECK(d->stat.version == kN);
  std::lock_guard<std::mutex> l(mu);
  REQUIRE(order.size() == kN);
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("blocking calls from a callback return kInvalidState") {
  auto c = Connect(Server().hosts());
  std::promise<Err> inner;
  c->ExistsAsync("/", nullptr, [&](Result<Stat>) { inner.set_value(c->Exists("/").err()); });
  auto f = inner.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  CHECK(f.get() == Err::kInvalidState);
}

TEST_CASE("connect string validation") {
  Options o;
  o.connect_string = "";
  CHECK(Client::Start(o).err() == Err::kBadArguments);
  o.connect_string = "127.0.0.1:notaport";
  CHECK(Client::Start(o).err() == Err::kBadArguments);
  o.connect_string = "127.0.0.1:2181/bad/";
  CHECK(Client::Start(o).err() == Err::kBadArguments);
  o.connect_string = "127.0.0.1:2181";
  o.session_timeout = 0ms;
  CHECK(Client::Start(o).err() == Err::kBadArguments);
}

}  // namespace
}  // namespace zk::client::test
