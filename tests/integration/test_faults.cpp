// A layer that throws, hangs past its deadline or dies: that request gets a miss or an error, the
// layer is marked unhealthy and counted, supervision restarts it, and the other layers keep serving.
#include "runtime_fixture.hpp"
#include "support/scratch_dir.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>
#include <vector>

using namespace strata;
using strata::testing::eventually;
using strata::testing::start;
using strata::testing::test_config;

namespace {

/// A runtime started from `yaml` that logs to a file of its own.
struct logging_runtime {
  explicit logging_runtime(const std::string& yaml)
      : rt(strata::testing::start_yaml("logging: {output: " + log_file + "}\n" + yaml)) {}
  /// Stops the runtime (which flushes the log) and returns what it logged.
  std::string stop_and_read_log() {
    rt.reset();
    std::ifstream in(log_file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  strata::test::scratch_dir dir;
  std::string log_file = (dir.path / "runtime.log").string();
  std::unique_ptr<runtime> rt;
};

layer_health health_of(const runtime& rt, const std::string& name) {
  for (auto& h : rt.health().layers)
    if (h.name == name)
      return h;
  FAIL("no layer named " << name);
  return {};
}

/// A put of k = v1 in flight, 50 ms in: `slow` takes puts after 300 ms, `deep` fails as
/// `deep_fail` says (a test_map mode).
struct put_in_flight {
  std::unique_ptr<runtime> rt;
  std::future<status> put; // after rt: destroyed first, it waits for the put
};

put_in_flight slow_put_failing_in_deep(const std::string& deep_fail) {
  put_in_flight p;
  p.rt = strata::testing::start_yaml(
    "layers:\n"
    "  - {name: slow, plugin: test_map, deadline: 2s, config: {fail: hang_on_put, hang: 300ms}}\n"
    "  - {name: deep, plugin: test_map, config: {fail: " + deep_fail + "}}\n");
  p.put = std::async(std::launch::async, [rt = p.rt.get()] { return rt->put("k", "v1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // slow is taking v1
  return p;
}

} // namespace

TEST_CASE("a layer that throws on get: error for that request, restart, others serve", "[faults]") {
  auto rt = start("fault_throw.yaml");
  REQUIRE(rt->put("cached", "v") == status::ok);
  auto miss = rt->get("elsewhere"); // not in hot: reaches the broken layer
  CHECK(miss.code == status::internal);
  auto h = health_of(*rt, "broken");
  CHECK_FALSE(h.healthy());
  CHECK(h.failures == 1);
  CHECK(h.last_error == "get(): layer threw: configured to throw on get");
  // The new instance starts once the replaced one has stopped.
  REQUIRE(eventually([&] { return health_of(*rt, "broken").restarts == 1; }));
  CHECK(health_of(*rt, "hot").healthy());
  CHECK(rt->get("cached").value == "v"); // the first layer keeps serving
  CHECK(rt->get("elsewhere").code == status::internal);
  CHECK(health_of(*rt, "broken").failures == 2);
}

TEST_CASE("the requests sent to a replaced instance are answered without waiting for their deadline", "[faults]") {
  // The first get throws and gets the instance replaced; the gets queued behind it were sent to
  // that instance: it answers them before it stops, and any it does not are answered unavailable
  // when it is gone, not at their deadline.
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: predictive}\n"
                                        "  - {name: broken, plugin: test_map, deadline: 30s, config: {fail: throw_on_get}}\n");
  std::vector<std::future<get_result>> gets;
  for (int i = 0; i < 2000; ++i)
    gets.push_back(rt->get_async("k" + std::to_string(i)));
  for (auto& g : gets) {
    REQUIRE(g.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    const auto r = g.get();
    CHECK((r.code == status::internal || r.code == status::unavailable)); // thrown, or never asked
  }
  CHECK(eventually([&] { return health_of(*rt, "broken").restarts >= 1; }));
}

TEST_CASE("a command queued behind a hung get is answered by the replaced instance or when it is gone", "[faults]") {
  // The get hangs 1 s past its 50 ms deadline, so the instance is replaced; the command (5 s)
  // waits behind it in that instance's mailbox: the instance runs it before it stops (ok), or,
  // had it dropped it, the command fails when the instance is gone (unavailable): not at 5 s.
  auto rt = strata::testing::start_yaml(
    "layers: [{name: stuck, plugin: test_map, deadline: 50ms, config: {fail: hang_on_get, hang: 1s}}]\n");
  auto get = rt->get_async("anything");
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the get is running
  const auto start_time = std::chrono::steady_clock::now();
  auto command = std::async(std::launch::async, [&] { return rt->layer_command("stuck", "sleep"); });
  const auto result = command.get();
  const auto waited = std::chrono::steady_clock::now() - start_time;
  CHECK(get.get().code == status::timeout);
  INFO(to_string(result.code) << " " << result.json);
  CHECK((result.code == status::ok || result.code == status::unavailable));
  if (result.code != status::ok) // as runtime.hpp promises: the retired instance's answer was empty
    CHECK(nlohmann::json::parse(result.json).at("error").get<std::string>().find("replaced") != std::string::npos);
  CHECK(waited < std::chrono::seconds(4)); // not at its deadline
}

TEST_CASE("a layer slower than its deadline times the request out and keeps its instance and entries", "[faults]") {
  // One slow get (2 s against 50 ms) had the instance replaced, and every entry it held was lost.
  auto rt = start("fault_hang.yaml");
  REQUIRE(rt->put("cached", "v") == status::ok);
  const auto start_time = std::chrono::steady_clock::now();
  auto miss = rt->get("elsewhere");
  const auto waited = std::chrono::steady_clock::now() - start_time;
  CHECK(miss.code == status::timeout);
  // Answered at the deadline (50 ms), not when the layer woke (2 s: far enough that a loaded
  // machine's delays do not reach it; at 400 ms this failed under load).
  CHECK(waited < std::chrono::seconds(2));
  CHECK(rt->get("cached").value == "v");
  // A put behind the slow get times out too, and is taken in order once the get returns.
  CHECK(rt->put("meanwhile", "w") == status::timeout);
  REQUIRE(eventually([&] { return rt->layer_command("slow", "size").json == R"({"size":2})"; }, std::chrono::seconds(10)));
  const auto h = health_of(*rt, "slow");
  CHECK(h.failures == 0);
  CHECK(h.restarts == 0);
  // Not healthy all the same: a layer slow on every request is replaced by nothing.
  CHECK(h.level == strata::health_level::warning);
  CHECK_THAT(h.detail, Catch::StartsWith("2 requests timed out in ") &&
                         Catch::EndsWith(" s (slow, or working through a backlog; the instance kept), the last: no "
                                         "answer within the deadline of 50ms"));
}

TEST_CASE("a layer that gives no deadline has its plugin's (else 100 ms), and one it gives wins", "[faults]") {
  // Before ABI 1.7 every layer without one had 100 ms: the global layer's statements (500 ms
  // allowed) answered the coordinator's `timeout` rather than its own `unavailable`.
  const auto yaml = [](const std::string& plugin, const std::string& deadline) {
    return "layers:\n  - {name: hot, plugin: predictive}\n  - {name: slow, plugin: " + plugin + deadline +
           ", config: {fail: hang_on_get, hang: 2s}}\n";
  };
  struct expectation {
    const char* plugin;
    const char* deadline;
    const char* effective;
  };
  for (const auto& e : {expectation{"test_patient_map", "", "1000ms"}, expectation{"test_map", "", "100ms"},
                        expectation{"test_patient_map", ", deadline: 50ms", "50ms"}}) {
    INFO(e.plugin << e.deadline);
    auto checked = strata::validate(*parse_config(yaml(e.plugin, e.deadline), "inline.yaml").effective);
    REQUIRE(checked.ok());
    CHECK(checked.effective->layers[1].deadline == std::chrono::milliseconds(std::stoi(e.effective))); // as check-config prints it
    auto rt = strata::testing::start_yaml(yaml(e.plugin, e.deadline));
    CHECK(rt->get("absent").code == status::timeout);
    CHECK_THAT(health_of(*rt, "slow").detail, Catch::EndsWith(std::string("no answer within the deadline of ") + e.effective));
  }
}

TEST_CASE("a layer that answers nothing for 5 s past a deadline is taken to hang and replaced", "[faults]") {
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: predictive}\n"
                                        "  - {name: slow, plugin: test_map, deadline: 50ms, config: {fail: hang_on_get, hang: 8s}}\n");
  REQUIRE(rt->put("cached", "v") == status::ok);
  CHECK(rt->get("elsewhere").code == status::timeout);
  CHECK(health_of(*rt, "slow").failures == 0); // slow, for all anyone knows yet
  CHECK(rt->get("cached").value == "v");       // the others serve
  // At 5 s past the deadline it is taken to hang: replaced, the new instance started beside the
  // call that has not returned (it has been waited for), and serving.
  REQUIRE(eventually([&] { return health_of(*rt, "slow").restarts == 1; }, std::chrono::seconds(10)));
  const auto h = health_of(*rt, "slow");
  CHECK(h.failures == 1);
  CHECK_THAT(h.last_error, Catch::StartsWith("no answer within the deadline of 50ms, nor in the ") &&
                             Catch::EndsWith(" ms since the request was sent: taken to hang"));
  CHECK(rt->put("after", "w") == status::ok);
}

TEST_CASE("a layer that throws on a request it answers late is taken as failed, as when on time", "[faults]") {
  // A late answer returned before supervision saw it: the throw counted for nothing.
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: predictive}\n"
                                        "  - {name: odd, plugin: test_map, deadline: 50ms, config: {fail: throw_late_on_get, hang: 200ms}}\n");
  CHECK(rt->get("k").code == status::timeout);
  REQUIRE(eventually([&] { return health_of(*rt, "odd").failures == 1; }, std::chrono::seconds(3)));
  CHECK(health_of(*rt, "odd").last_error == "get(): layer threw: configured to throw late on get");
  CHECK(eventually([&] { return health_of(*rt, "odd").restarts == 1; }, std::chrono::seconds(3)));
}

TEST_CASE("an instance started after one that hung, which answers every request late, is no longer taken as "
          "replaced", "[faults]") {
  // Only an answer on time cleared the replacement: health said "replaced after" for as long as
  // the new instance answered late, and its next hang counted as a failure in a row (restarts put
  // off up to a minute).
  auto rt = strata::testing::start_yaml(
    "layers:\n"
    "  - {name: hot, plugin: predictive}\n"
    "  - {name: slow, plugin: test_map, deadline: 50ms,\n"
    "     config: {fail: hang_on_first_get_then_slow, hang: 8s, keep_across_restarts: true}}\n");
  CHECK(rt->get("a").code == status::timeout);
  REQUIRE(eventually([&] { return health_of(*rt, "slow").restarts == 1; }, std::chrono::seconds(10)));
  CHECK_THAT(health_of(*rt, "slow").detail, Catch::StartsWith("replaced after: "));
  CHECK(rt->get("b").code == status::timeout); // answered 200 ms on, by the new instance
  CHECK(eventually([&] {
    const auto h = health_of(*rt, "slow");
    return h.level == strata::health_level::warning && h.detail.rfind("2 requests timed out in ", 0) == 0;
  }, std::chrono::seconds(3)));
}

TEST_CASE("a promoted copy that a hung instance writes after its replacement is erased, not served over a newer "
          "value", "[faults]") {
  // mid's promotion of v1 hangs 8 s, then writes into what mid's instances share (a database); mid
  // is replaced meanwhile, and v2 put through the new instance. The old copy, written last, was
  // served: the put's copies were not watched for a late write as its own writes are.
  auto rt = strata::testing::start_yaml(
    "layers:\n"
    "  - {name: mid, plugin: test_map, write: around, deadline: 50ms,\n"
    "     config: {fail: hang_on_first_put, hang: 8s, keep_across_restarts: true}}\n"
    "  - {name: deep, plugin: test_map}\n");
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(rt->put("k", "v1") == status::ok); // into deep; mid takes no writes
  CHECK(rt->get("k").value == "v1");         // from deep; its copy to mid hangs
  CHECK(rt->get("other").code == status::timeout); // behind it
  REQUIRE(eventually([&] { return health_of(*rt, "mid").restarts == 1; }, std::chrono::seconds(10)));
  REQUIRE(rt->put("k", "v2") == status::ok);
  // The copy of v1 is written at 8 s, and erased from mid's new instance then.
  std::this_thread::sleep_until(started + std::chrono::seconds(9));
  CHECK(eventually([&] { return rt->get("k").value == "v2"; }, std::chrono::seconds(3)));
}

TEST_CASE("a put a slow layer times out is taken by it late, and kept in the others", "[faults]") {
  // deep takes the put 300 ms after its 50 ms deadline: the put answers timeout, deep keeps its
  // instance and applies it, so the value hot kept is the one deep holds.
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: predictive}\n"
                                        "  - {name: deep, plugin: test_map, deadline: 50ms, config: {fail: hang_on_put, hang: 300ms}}\n");
  CHECK(rt->put("k", "v1") == status::timeout);
  CHECK(rt->get("k").value == "v1");
  CHECK(eventually([&] { return rt->layer_command("deep", "size").json == R"({"size":1})"; }));
  CHECK(health_of(*rt, "deep").failures == 0);
}

TEST_CASE("a layer that answers internal without throwing is named in the log the caller is sent to", "[faults]") {
  logging_runtime run("layers: [{name: odd, plugin: test_map, config: {fail: internal_on_get}}]\n");
  for (int i = 0; i < 20; ++i)
    CHECK(run.rt->get("k").code == status::internal);
  const auto logged = run.stop_and_read_log();
  CHECK_THAT(logged, Catch::Contains("warn layer answered internal layer=odd operation=get"));
  // One line a second at most: a layer answering internal to every request does not flood the log.
  std::size_t lines = 0;
  for (auto at = logged.find("layer answered internal"); at != std::string::npos;
       at = logged.find("layer answered internal", at + 1))
    ++lines;
  CHECK(lines <= 2);
}

TEST_CASE("internal answers not logged when the runtime stops are told then", "[faults]") {
  // The count held back after the last line was lost when no line came after it.
  logging_runtime run("layers: [{name: odd, plugin: test_map, config: {fail: internal_on_get}}]\n");
  for (int i = 0; i < 5; ++i)
    CHECK(run.rt->get("k").code == status::internal);
  const auto logged = run.stop_and_read_log();
  CHECK_THAT(logged, Catch::Contains("warn layer answered internal 4 more times since the last line, not logged "
                                     "before the stop layer=odd"));
}

TEST_CASE("a layer's first answer other than internal after internal ones counts those not logged", "[faults]") {
  // The count of internal answers held back after the last line was never told when no internal
  // answer came after them.
  logging_runtime run("layers: [{name: odd, plugin: test_map, config: {fail: internal_on_get}}]\n");
  for (int i = 0; i < 20; ++i)
    CHECK(run.rt->get("k").code == status::internal);
  std::this_thread::sleep_for(std::chrono::milliseconds(1050)); // a line a second at most
  CHECK(run.rt->put("k", "v") == status::ok);
  CHECK(run.rt->put("k", "w") == status::ok); // once
  const auto logged = run.stop_and_read_log();
  CHECK_THAT(logged, Catch::Contains("info layer answers other than internal again (19 more internal answers since "
                                     "the last line) layer=odd operation=put"));
  CHECK(logged.find("answers other than internal again") == logged.rfind("answers other than internal again"));
}

TEST_CASE("a put that timed out behind a long command, whose instance is then replaced unapplied, is undone",
          "[faults]") {
  // slow runs a command (its deadline 5 s) that takes 16 s; the put queued behind it times out but
  // is not undone: slow is busy, and will take it. At 5 s the command times out; 5 s later slow is
  // taken to hang and replaced, its retired instance never to apply the put, which is undone then.
  // It was undone only when the command returned (which may be never): hot held the value slow
  // never took until then.
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: predictive}\n"
                                        "  - {name: slow, plugin: test_map, deadline: 100ms, config: {hang: 16s}}\n");
  auto command = std::async(std::launch::async, [&] { return rt->layer_command("slow", "sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // slow is in the command
  CHECK(rt->put("k", "v1") == status::timeout);
  CHECK(rt->get("k").value == "v1"); // taken by hot; slow will take it too, or it is undone
  CHECK(command.get().code == status::timeout);
  REQUIRE(eventually([&] { return health_of(*rt, "slow").restarts == 1; }, std::chrono::seconds(10)));
  // Undone when slow is replaced, 6 s before the command returns.
  CHECK(eventually([&] { return rt->get("k").code != status::ok; }, std::chrono::seconds(3)));
}

TEST_CASE("a failed put's undo waits for a conditional write checking the key, rather than being skipped",
          "[faults]") {
  // slow takes the put after 300 ms, deep answers timeout at once: the put fails and must be
  // undone. A SET NX of the key arrives meanwhile; its check, queued behind the put in slow, finds
  // the failed put's value there and writes nothing. The undo, skipped because the key was guarded
  // when the put's answers were in, left that value in slow.
  auto [rt, failing] = slow_put_failing_in_deep("timeout_on_put");
  put_options if_absent;
  if_absent.condition = put_condition::if_absent;
  CHECK(rt->put("k", "v2", if_absent) == status::rejected); // it found v1
  CHECK(failing.get() == status::timeout);
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("a failed put's undo waiting for a conditional write is not done when that write wrote the key",
          "[faults]") {
  // As above, but the SET XX finds v1 and writes v2 (deep takes every put after the first): its
  // write decides. The undo, done after it, erased v2 as well.
  auto [rt, failing] = slow_put_failing_in_deep("unavailable_on_first_put");
  put_options if_present;
  if_present.condition = put_condition::if_present;
  CHECK(rt->put("k", "v2", if_present) == status::ok);
  CHECK(failing.get() == status::unavailable);
  CHECK(rt->get("k").value == "v2");
}

TEST_CASE("a failed put's undo does not erase a plain SET of the key sent after it", "[faults]") {
  // v2 is sent while v1 is in slow (deep failed v1 at once, and takes every put after the first):
  // slow takes v2 after v1, deep takes it. v1's undo, sent once slow answered v1, reached both
  // after v2 and erased it: v2 answered ok, and the next read missed.
  auto [rt, failing] = slow_put_failing_in_deep("unavailable_on_first_put");
  CHECK(rt->put("k", "v2") == status::ok);
  CHECK(failing.get() == status::unavailable);
  CHECK(rt->get("k").value == "v2");
}

TEST_CASE("a failed put's undo is not skipped for a later put that a write-behind layer may have failed", "[faults]") {
  // v1: slow takes it after 300 ms, deep fails it at once, back (behind) takes it. v2 (400 ms TTL)
  // is sent meanwhile: back fails it, unread, and v2 answers ok. Counted as reaching every layer,
  // v2 had v1's undo skipped: once v2 expired above, back served v1, the value of a put that failed.
  auto rt = strata::testing::start_yaml(
    "layers:\n"
    "  - {name: slow, plugin: test_map, deadline: 2s, config: {fail: hang_on_put, hang: 300ms}}\n"
    "  - {name: deep, plugin: test_map, config: {fail: unavailable_on_first_put}}\n"
    "  - {name: back, plugin: test_map, write: behind, config: {fail: unavailable_on_second_put}}\n");
  auto failing = std::async(std::launch::async, [&] { return rt->put("k", "v1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // slow is taking v1
  put_options brief;
  brief.ttl = std::chrono::milliseconds(400);
  CHECK(rt->put("k", "v2", brief) == status::ok);
  CHECK(failing.get() == status::unavailable);
  std::this_thread::sleep_for(std::chrono::milliseconds(600)); // v2 expired wherever it was kept
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("a put that its hung and replaced instance applies late does not overwrite a later one", "[faults]") {
  // shared_entries keeps its entries beyond its instances, as a database does. v2 hangs there 6 s (a
  // stuck statement), times out, and its instance is replaced: at 5 s a new one starts beside
  // the hung call. v3 is written through the new one. Then the hung call returns and writes v2
  // over it: a get served v2, the value of a put that answered timeout, after v3 answered ok.
  auto rt = strata::testing::start_yaml(
    "layers: [{name: shared_entries, plugin: test_map, deadline: 100ms,\n"
    "          config: {fail: hang_on_first_put, hang: 6s, keep_across_restarts: true}}]\n");
  CHECK(rt->put("k", "v2") == status::timeout);
  REQUIRE(eventually([&] { return health_of(*rt, "shared_entries").restarts == 1; }, std::chrono::seconds(8)));
  CHECK(rt->put("k", "v3") == status::ok);
  CHECK(rt->get("k").value == "v3");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500)); // the hung call has returned
  const auto after = rt->get("k");
  CHECK(after.value != "v2");
  if (after.code == status::ok) // erased with v2 in the shared entries, v3 may be gone too: a miss
    CHECK(after.value == "v3");
}

TEST_CASE("an EXPIRE that writes back a failed put's value does not stop that put's undo", "[faults]") {
  // The EXPIRE's check finds v1, which the put left in slow, and writes it with its new TTL (deep
  // takes every put after the first): not a later value, so the undo still comes.
  auto [rt, failing] = slow_put_failing_in_deep("unavailable_on_first_put");
  CHECK(rt->expire("k", std::chrono::seconds(60)) == status::ok);
  CHECK(failing.get() == status::unavailable);
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("an EXPIRE whose check found an entry that a tag invalidation then removed does not bring it back",
          "[faults]") {
  // The check's get takes 300 ms; the tag invalidation, which does not wait behind the key's
  // guard, removes the entry meanwhile. Writing what the check found, with its new TTL, put the
  // invalidated entry back, tag and all.
  auto rt = strata::testing::start_yaml(
    "layers: [{name: slow, plugin: test_map, deadline: 2s, config: {fail: hang_on_get, hang: 300ms}}]\n");
  put_options tagged;
  tagged.tags = {"t"};
  REQUIRE(rt->put("k", "v", tagged) == status::ok);
  auto expiring = std::async(std::launch::async, [&] { return rt->expire("k", std::chrono::seconds(60)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the check is reading k
  CHECK(rt->invalidate_tag("t").removed == 1);
  CHECK(expiring.get() == status::not_found); // checked again: gone
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("a short deadline is kept while a request with a longer one waits", "[faults]") {
  // patient (5 s deadline) answers after 200 ms; stuck (50 ms) would answer after 1 s, which, had
  // its deadline waited for patient's, would be a plain miss instead of a timeout.
  auto rt = start("fault_mixed_deadlines.yaml");
  const auto start_time = std::chrono::steady_clock::now();
  auto miss = rt->get("anything");
  const auto waited = std::chrono::steady_clock::now() - start_time;
  CHECK(miss.code == status::timeout);
  CHECK(waited < std::chrono::seconds(1));
  CHECK(health_of(*rt, "patient").failures == 0);
  CHECK(health_of(*rt, "stuck").failures == 0); // slow (1 s), not hung
}

TEST_CASE("a long command does not hold back the deadline of the requests behind it", "[faults]") {
  // The command sleeps 1 s within its 5 s; the get queued behind it has 50 ms. Had the get's
  // deadline waited for the command's, the get would be answered (a miss) after the sleep.
  auto rt = start("fault_mixed_deadlines.yaml");
  auto command = std::async(std::launch::async, [&] { return rt->layer_command("stuck", "sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the command is running
  const auto start_time = std::chrono::steady_clock::now();
  auto miss = rt->get("anything");
  const auto waited = std::chrono::steady_clock::now() - start_time;
  CHECK(miss.code == status::timeout);
  CHECK(waited < std::chrono::milliseconds(900));
  // The layer was working on the command, within its deadline: not hung, not replaced (it was,
  // and the command answered by the retired instance; an in-memory layer lost its entries).
  CHECK(command.get().code == status::ok);
  CHECK(health_of(*rt, "stuck").restarts == 0);
  CHECK(health_of(*rt, "stuck").failures == 0);
}

TEST_CASE("a layer working through a backlog times requests out but is not replaced", "[faults]") {
  auto rt = start("fault_backlog.yaml");
  std::vector<std::future<get_result>> gets;
  for (int i = 0; i < 20; ++i) // 20 gets of 20ms each: those queued behind 200ms time out
    gets.push_back(rt->get_async("missing-" + std::to_string(i)));
  int timeouts = 0;
  for (auto& g : gets)
    timeouts += g.get().code == status::timeout;
  CHECK(timeouts > 0);
  auto h = health_of(*rt, "slow");
  CHECK(h.failures == 0); // it answered all along: a backlog, not a hang
  CHECK(h.restarts == 0);
}

TEST_CASE("a burst of writes larger than the coordinator handles within a deadline does not get a layer replaced",
          "[faults]") {
  // An MSET of 30000 keys: the coordinator sends them all before it reads an answer, and the
  // sweep finds the layer's answers not read yet. Replaced, the layer lost every entry it held.
  auto rt = strata::testing::start_yaml("layers:\n  - {name: hot, plugin: predictive}\n");
  REQUIRE(rt->put("keep", "precious") == status::ok);
  std::vector<std::future<status>> puts;
  puts.reserve(30000);
  for (int i = 0; i < 30000; ++i)
    puts.push_back(rt->put_async("key" + std::to_string(i), "value"));
  for (auto& p : puts)
    p.get();
  auto h = health_of(*rt, "hot");
  CHECK(h.restarts == 0);
  CHECK(rt->get("keep").value == "precious");
}

TEST_CASE("a put a write-through layer could not take is undone in the others", "[faults]") {
  auto rt = start("fault_down_on_put.yaml");
  REQUIRE(rt->put("k", "old") == status::ok);
  // backend is down now: hot took "new", backend kept "old". Left so, hot would serve "new" until
  // it let the key go, and backend "old" after that.
  CHECK(rt->put("k", "new") == status::unavailable);
  const auto after = rt->get("k");
  CHECK(after.code == status::ok);
  CHECK(after.value == "old"); // the put did not happen: hot dropped "new" before it was answered
  CHECK(after.layer == "backend");
  // An erase that a layer could not do says so, though another layer erased the key: the key may
  // still be served.
  CHECK(rt->erase("k") == status::unavailable);
  CHECK(rt->get("k").value == "old");
}

TEST_CASE("a put a layer answered timeout or invalid to is undone in the layers that took it", "[faults]") {
  for (const std::string mode : {"timeout_on_put", "invalid_on_put"}) {
    INFO(mode);
    auto rt = strata::testing::start_yaml("layers:\n  - {name: front, plugin: test_map, config: {fail: " + mode +
                                          "}}\n  - {name: back, plugin: test_map}\n");
    CHECK(rt->put("k", "v") == (mode == "timeout_on_put" ? status::timeout : status::invalid));
    CHECK(rt->get("k").code == status::not_found); // back took it; left there, it would be served
  }
}

TEST_CASE("a get no layer answered, one of them unavailable, says unavailable rather than not_found", "[faults]") {
  auto rt = strata::testing::start_yaml(
    "layers:\n  - {name: hot, plugin: predictive}\n  - {name: away, plugin: test_map, config: {fail: unavailable_on_get}}\n");
  CHECK(rt->get("k").code == status::unavailable);
  CHECK(rt->get_with_ttl("k").code == status::unavailable);
  REQUIRE(rt->put("k", "v") == status::ok);
  CHECK(rt->get("k").value == "v"); // a hit above it is served as ever
  CHECK(health_of(*rt, "away").failures == 0); // its own answer, not a fault
}

TEST_CASE("a layer whose actor dies is restarted and serves again", "[faults]") {
  auto rt = start("fault_die.yaml");
  REQUIRE(eventually([&] { return health_of(*rt, "mortal").restarts == 1; }));
  auto h = health_of(*rt, "mortal");
  CHECK(h.failures == 1);
  CHECK(h.last_error == "maintain(): layer threw: configured to die once in maintain()");
  REQUIRE(rt->put("k", "v") == status::ok);
  auto hit = rt->get("k");
  CHECK(hit.code == status::ok);
  CHECK(hit.layer == "mortal");
  CHECK(health_of(*rt, "mortal").healthy()); // a success on the new instance clears the mark
}

TEST_CASE("a layer answering a status that is not one of ours: internal, restart", "[faults]") {
  auto rt = strata::testing::start_yaml("layers: [{name: odd, plugin: test_map, config: {fail: unknown_status_on_get}}]\n");
  CHECK(rt->get("k").code == status::internal);
  const auto h = health_of(*rt, "odd");
  CHECK(h.failures == 1);
  CHECK(h.last_error == "get(): layer answered an unknown status 200");
  // Counted where an internal error is (an unknown status used to index past the counters).
  CHECK(rt->prometheus_text().find(
          R"(strata_cache_requests_total{cache_layer="odd",operation="get",status="internal"} 1)") !=
        std::string::npos);
}

TEST_CASE("a first layer whose read view throws is read through its actor", "[faults]") {
  auto rt = strata::testing::start_yaml("layers: [{name: viewless, plugin: test_map, config: {fail: throw_in_view}}]\n");
  REQUIRE(rt->put("k", "v") == status::ok);
  const auto hit = rt->get("k");
  CHECK(hit.code == status::ok);
  CHECK(hit.value == "v");
  CHECK(health_of(*rt, "viewless").failures == 0);
}

TEST_CASE("a first layer whose read view fails is counted and replaced", "[faults]") {
  for (const auto& [mode, why] : {std::pair<std::string, std::string>{"view_throws", "read view threw: configured to "
                                                                                        "throw in its read view"},
                                  {"view_unknown_status", "read view answered an unknown status 201"}}) {
    INFO(mode);
    auto rt = strata::testing::start_yaml("layers: [{name: flawed, plugin: test_map, config: {fail: " + mode + "}}]\n");
    REQUIRE(rt->put("k", "v") == status::ok);
    // The actor answers instead, unless the instance was replaced first: unavailable until the
    // replaced one has stopped, then the new one, which holds nothing.
    const auto hit = rt->get("k");
    CHECK((hit.code == status::not_found || hit.code == status::unavailable || hit.value == "v"));
    // Unnoticed, a view failing every get would go on costing a message per get, forever.
    REQUIRE(eventually([&] { return health_of(*rt, "flawed").failures == 1; }));
    REQUIRE(eventually([&] { return health_of(*rt, "flawed").restarts == 1; }));
    const auto h = health_of(*rt, "flawed");
    CHECK(h.last_error == why);
    CHECK(rt->prometheus_text().find(R"(strata_cache_layer_errors_total{cache_layer="flawed",type="exception"} 1)") !=
          std::string::npos);
  }
}

TEST_CASE("a hit with metadata a put would be refused for is neither served nor promoted", "[faults]") {
  for (const std::string mode : {"negative_ttl_hit", "empty_tag_hit"}) {
    INFO(mode);
    auto rt = strata::testing::start_yaml("layers:\n  - {name: hot, plugin: predictive, write: around}\n"
                                          "  - {name: deep, plugin: test_map, config: {fail: " + mode + "}}\n");
    REQUIRE(rt->put("k", "v") == status::ok); // into deep alone
    // Promoted, an empty tag would sit in hot where no invalidation can name it; a negative TTL
    // says the entry is not current.
    CHECK(rt->get("k").code == status::internal);
    CHECK(rt->get("k").code == status::internal); // not from hot either
    CHECK(health_of(*rt, "deep").healthy());      // a bad answer, not a fault: nothing replaced
    // Nor is it present to a conditional write, nor copied by an EXPIRE (which keeps the value
    // and the tags): as when the layer cannot answer, nothing is written.
    put_options absent;
    absent.condition = put_condition::if_absent;
    CHECK(rt->put("k", "w", absent) == status::internal);
    CHECK(rt->expire("k", std::chrono::seconds(10)) == status::internal);
    CHECK(rt->get("k").code == status::internal);
  }
}

TEST_CASE("a layer that fails right after its restart is stopped, then restarted a second on", "[faults]") {
  auto rt = strata::testing::start_yaml(
    "layers: [{name: spinning, plugin: test_map, config: {fail: throw_in_maintenance_interval}}]\n");
  // The first instance fails and is replaced at once; its replacement fails within the second,
  // and is stopped: health critical until the restart put off by a second.
  REQUIRE(eventually([&] { return health_of(*rt, "spinning").failures >= 2; }));
  // Brought back with no request asking for it (a slot nothing asks would otherwise stay down).
  REQUIRE(eventually([&] { return health_of(*rt, "spinning").restarts >= 2; }));
  const auto h = health_of(*rt, "spinning");
  CHECK(h.failures <= h.restarts + 1); // one failure per instance, none counted twice
  CHECK(h.last_error == "maintenance_interval(): layer threw: configured to throw in maintenance_interval()");
}

TEST_CASE("a restart whose factory holds the coordinator does not count against another layer's deadline", "[faults]") {
  // On one scheduler thread the first layer cannot answer while the coordinator waits in a
  // factory (a global layer's, for a database): its requests sent just before timed out, and it
  // was replaced as hung, its entries with it, at each restart of the other layer.
  auto rt = strata::testing::start_yaml(
    "runtime: {threads: 1}\n"
    "layers:\n"
    "  - {name: hot, plugin: predictive, deadline: 50ms}\n"
    "  - {name: slow_start, plugin: test_map, config: {fail: throw_on_get, factory_delay: 300ms}}\n");
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; !done; ++i)
        rt->put("w" + std::to_string(w) + "-" + std::to_string(i % 50), "v");
    });
  // Each get misses in hot and reaches slow_start, which throws: replaced, 300 ms in its factory.
  for (int i = 0; i < 3; ++i) {
    rt->get("absent-" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // a failed layer's restart backoff
  }
  done = true;
  for (auto& t : writers)
    t.join();
  CHECK(health_of(*rt, "slow_start").restarts >= 2);
  const auto hot = health_of(*rt, "hot");
  INFO(hot.last_error);
  CHECK(hot.failures == 0);
  CHECK(hot.restarts == 0);
}

TEST_CASE("a restart whose factory waits does not hold up requests to the other layers", "[faults]") {
  // slow_start throws on a get and is replaced; its factory takes 2 s (a database that does not
  // answer). The coordinator called the factory itself: every request that reached it meanwhile
  // waited those 2 s, and the next get of the missing key met the new instance (which threw).
  auto rt = strata::testing::start_yaml(
    "layers:\n"
    "  - {name: hot, plugin: predictive, write: around, promote: false}\n"
    "  - {name: middle, plugin: test_map}\n"
    "  - {name: slow_start, plugin: test_map, config: {fail: throw_on_get, factory_delay: 2s}}\n");
  REQUIRE(rt->put("k", "v") == status::ok);
  CHECK(rt->get("absent").code == status::internal);
  CHECK(rt->get("k").value == "v");
  CHECK(health_of(*rt, "slow_start").restarts == 0); // still in its factory
  CHECK(rt->get("absent").code == status::unavailable); // slow_start, down meanwhile, may hold it
  REQUIRE(eventually([&] { return health_of(*rt, "slow_start").restarts == 1; }, std::chrono::seconds(5)));
}

TEST_CASE("a restart that fails is the layer's health detail and is tried again without a request", "[faults]") {
  // The first restart's factory throws; the second succeeds. Retried only by a request needing
  // the layer, it stayed down (and its health said so) while nothing asked.
  auto rt = strata::testing::start_yaml(
    "layers: [{name: restart_fails_once, plugin: test_map, config: {fail: throw_on_get, restarts_fail: 1}}]\n");
  CHECK(rt->get("k").code == status::internal);
  REQUIRE(eventually([&] { return health_of(*rt, "restart_fails_once").detail.find("cannot be restarted") != std::string::npos; }));
  CHECK(health_of(*rt, "restart_fails_once").last_error.find("configured to fail its restart") != std::string::npos);
  REQUIRE(eventually([&] { return health_of(*rt, "restart_fails_once").restarts == 1; }, std::chrono::seconds(5)));
  CHECK(health_of(*rt, "restart_fails_once").level == health_level::warning); // replaced, no answer since
  // Why it was replaced, not why a restart failed on the way: it is running again.
  CHECK(health_of(*rt, "restart_fails_once").detail == "replaced after: get(): layer threw: configured to throw on get");
}

TEST_CASE("instances that each fail before answering anything are restarted less and less often", "[faults]") {
  // Each instance throws at its first get (as a global layer's times out on a stalled database),
  // a get every 1.1 s: past "within a second of its restart", each failure restarted the layer at
  // once (8 restarts for 8 gets); now 1, 2, 4 ... s apart while no instance answers.
  auto rt = strata::testing::start_yaml(
    "layers:\n  - {name: hot, plugin: predictive}\n  - {name: stalled, plugin: test_map, config: {fail: throw_on_get}}\n");
  for (int i = 0; i < 8; ++i) {
    rt->get("absent-" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  const auto h = health_of(*rt, "stalled");
  INFO("failures " << h.failures << ", restarts " << h.restarts);
  CHECK(h.restarts >= 2);
  CHECK(h.restarts <= 4);
}

TEST_CASE("an embedder's bad output is its fault: internal, naming it, not invalid", "[faults]") {
  const auto with_fault = [](const std::string& fault) {
    return strata::testing::start_yaml("embedders: [{name: faulty, plugin: test_embedder, config: {fault: " + fault +
                                       "}}]\nlayers:\n  - {name: meaning, plugin: semantic, embedder: faulty, "
                                       "config: {index: flat}}\n");
  };
  semantic_entry entry;
  entry.query = "a question";
  entry.answer = "an answer";
  auto fine = with_fault("none");
  CHECK(fine->semantic_store(entry).code == status::ok);
  auto nan = with_fault("nan");
  const auto not_finite = nan->semantic_store(entry);
  CHECK(not_finite.code == status::internal);
  CHECK(not_finite.error == "embedder 'faulty' returned a value that is not finite");
  auto unnamed = with_fault("no_model");
  const auto no_model = unnamed->semantic_store(entry);
  CHECK(no_model.code == status::internal);
  CHECK(no_model.error == "embedder 'faulty' names no model");
  // An int thrown escaped the runtime's API (and left the request counted in flight).
  auto thrower = with_fault("throw_other");
  const auto thrown = thrower->semantic_store(entry);
  CHECK(thrown.code == status::internal);
  CHECK(thrown.error == "embedder 'faulty' failed: it threw a non-standard exception");
  semantic_lookup_request lookup;
  lookup.text = "a question";
  CHECK(thrower->semantic_lookup_async(lookup).get().code == status::internal);
  // Another dimension for the same model was refused by the layer as the client's vector (400).
  auto flipping = with_fault("flip_dimension");
  CHECK(flipping->semantic_store(entry).code == status::ok);
  const auto flipped = flipping->semantic_store(entry);
  CHECK(flipped.code == status::internal);
  CHECK(flipped.error == "embedder 'faulty' declares dimension 8 for model 'test-4', which had 4: one model id must "
                         "keep its dimension");
}

TEST_CASE("an embedder named by a layer that offers nothing to embed for stops the start", "[faults]") {
  // It was ignored in silence: a predictive layer has no semantic or vector operations.
  CHECK(strata::testing::start_error("embedders: [{name: words, plugin: lexical_hash}]\n"
                                     "layers:\n  - {name: hot, plugin: predictive, embedder: words}\n") ==
        "inline.yaml:3:47: layers[0].embedder: layer 'hot' (plugin predictive) offers no semantic or vector "
        "operations: nothing of it would be embedded");
  // Nor one behind the first semantic layer, where no request goes.
  CHECK(strata::testing::start_error("embedders: [{name: words, plugin: lexical_hash}]\n"
                                     "layers:\n  - {name: first, plugin: semantic, embedder: words}\n"
                                     "  - {name: second, plugin: semantic, embedder: words}\n") ==
        "inline.yaml:4:48: layers[1].embedder: layer 'second' (plugin semantic) is not where semantic and vector "
        "requests go (the first layer that offers each: 'first' and none): its embedder would never be used");
}

TEST_CASE("a start that fails once its log file is open says why in that file too", "[faults]") {
  // Only the caller heard why (strata serve: stderr); the log file ended with the lines before.
  strata::test::scratch_dir dir;
  const auto log_file = (dir.path / "runtime.log").string();
  const auto why = strata::testing::start_error(
    "logging: {output: " + log_file + "}\n"
    "embedders: [{name: flat, plugin: test_embedder, config: {fault: zero_dimension}}]\n"
    "layers:\n  - {name: meaning, plugin: semantic, embedder: flat}\n");
  REQUIRE_THAT(why, Catch::Contains("its dimension() is 0"));
  std::ifstream in(log_file);
  const std::string logged{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK_THAT(logged, Catch::Contains("error the runtime did not start: " + why));
  // And which build of the plugin failed: its version, ABI and file (review).
  CHECK_THAT(logged, Catch::Contains("info embedder 'flat': plugin test_embedder 1.0.0 (ABI 1.") &&
                       Catch::Contains("/libstrata_test_embedder.so"));
}

TEST_CASE("an embedder that declares dimension 0 stops the start, naming it", "[faults]") {
  CHECK(strata::testing::start_error("embedders: [{name: flat, plugin: test_embedder, config: {fault: zero_dimension}}]\n"
                                     "layers:\n  - {name: meaning, plugin: semantic, embedder: flat}\n") ==
        "inline.yaml:1:13: embedders[0]: embedder 'flat': its dimension() is 0: its vectors could not be compared");
  CHECK(strata::testing::start_error("embedders: [{name: moody, plugin: test_embedder, config: {fault: throw_in_dimension}}]\n"
                                     "layers:\n  - {name: meaning, plugin: semantic, embedder: moody}\n") ==
        "inline.yaml:1:13: embedders[0]: embedder 'moody': its dimension() threw: no dimension today");
}

TEST_CASE("two embedders may give one model id two dimensions", "[faults]") {
  // The first dimension is kept per embedder and model: keyed by the model alone, the second
  // embedder's vectors would be refused.
  auto rt = strata::testing::start_yaml("embedders:\n  - {name: narrow, plugin: test_embedder}\n"
                                        "  - {name: wide, plugin: test_embedder, config: {fault: wide}}\n"
                                        "layers:\n  - {name: meaning, plugin: semantic, embedder: narrow, config: {index: flat}}\n"
                                        "  - {name: vectors, plugin: vector, embedder: wide}\n");
  semantic_entry entry;
  entry.query = "a question";
  entry.answer = "an answer";
  CHECK(rt->semantic_store(entry).code == status::ok);
  vector_item item;
  item.text = "a text";
  const auto added = rt->vector_add(item);
  INFO(added.error);
  CHECK(added.code == status::ok);
}

// shutdown() from another thread than the one that started the runtime (a signal thread): with
// CAF 0.17 the actor system waited for ever for a logger that the starting thread kept.
TEST_CASE("shutdown from another thread answers the gets a hanging layer still holds and returns",
          "[faults][shutdown]") {
  auto parsed = parse_config_file(test_config("fault_hang.yaml"));
  REQUIRE(parsed.ok());
  parsed.effective->layers[1].deadline = std::chrono::seconds(10); // the layer, not the deadline, holds them
  parsed.effective->runtime.shutdown_timeout = std::chrono::milliseconds(100);
  auto started = runtime::from_config(*parsed.effective);
  REQUIRE(started);
  auto& rt = **started;
  auto sync_get = std::async(std::launch::async, [&] { return rt.get("k"); });
  auto async_get = rt.get_async("k2");
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // both wait for the hanging layer
  auto stopping = std::async(std::launch::async, [&] { rt.shutdown(); });
  REQUIRE(sync_get.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(sync_get.get().code == status::unavailable);
  REQUIRE(async_get.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(async_get.get().code == status::unavailable);
  CHECK(stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("a shutdown does not call a layer for what its mailbox still holds once shutdown_timeout has passed",
          "[faults][shutdown]") {
  // Each request of a backlog was handed to the plugin before the layer host's exit: 100 gets of
  // 150 ms held a shutdown_timeout of 1 s for 15 s (audit). Here 20 gets of 1 s each: 20 s then;
  // now the one in its call, then the end.
  auto rt = strata::testing::start_yaml("runtime: {shutdown_timeout: 100ms}\n"
                       "layers:\n  - {name: slow, plugin: test_map, deadline: 50ms,\n"
                       "     config: {fail: hang_on_get, hang: 1s}}\n");
  std::vector<std::future<get_result>> gets;
  for (int i = 0; i < 20; ++i)
    gets.push_back(rt->get_async("k" + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the layer is in its first get
  auto stopping = std::async(std::launch::async, [&] { rt->shutdown(); });
  REQUIRE(stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  for (auto& get : gets)
    CHECK(get.get().code != status::ok);
}

TEST_CASE("a shutdown held by a plugin call that has not returned names the layer and the call in the log",
          "[faults][shutdown]") {
  // A plugin stuck in a call holds the actor system, and so the shutdown: `strata` ends past its
  // drain limit, and the log said nothing of which layer held it.
  logging_runtime run("runtime: {shutdown_timeout: 200ms}\n"
                      "layers:\n"
                      "  - {name: hot, plugin: test_map}\n"
                      "  - {name: stuck, plugin: test_map, deadline: 50ms,\n"
                      "     config: {fail: hang_on_get, hang: 3s}}\n");
  auto waiting = run.rt->get_async("k");
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the stuck layer is in its get
  const auto logged = run.stop_and_read_log();
  CHECK(waiting.get().code != status::ok);
  // shutdown_timeout, at least a second.
  CHECK_THAT(logged, Catch::Contains("the shutdown has waited 1000 ms for a plugin call that has not returned: "
                                     "layer 'stuck' (instance 1): get(), for "));
  CHECK_THAT(logged, !Catch::Contains("layer 'hot' (instance"));
}

TEST_CASE("what a replaced instance still reports is not its slot's: its health is dropped, its log lines marked",
          "[faults]") {
  // A hung instance lives on beside its successor, and so do its own threads: the global layer's
  // listener, 30 s into a frozen link, reported a lost connection and overwrote its successor's
  // critical health with a warning for the rest of the freeze (audit).
  logging_runtime run("layers:\n  - {name: stuck, plugin: test_map, deadline: 50ms,\n"
                      "     config: {fail: hang_on_get_then_warn, hang: 7s}}\n");
  const auto asked = std::chrono::steady_clock::now();
  auto waiting = run.rt->get_async("k");
  // Taken to hang 5 s past the deadline and replaced; its get returns 7 s in, and reports.
  REQUIRE(eventually([&] { return health_of(*run.rt, "stuck").restarts == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_until(asked + std::chrono::milliseconds(7500));
  CHECK(health_of(*run.rt, "stuck").detail.find("warned after its hung get") == std::string::npos);
  CHECK(waiting.get().code != status::ok);
  const auto logged = run.stop_and_read_log();
  CHECK_THAT(logged, Catch::Contains("a replaced instance: its hung get returned"));
}

TEST_CASE("a shutdown waits for a call in an embedder before freeing it, and names it in the log",
          "[faults][shutdown]") {
  // Embedding runs in the caller's thread: the runtime was freed after shutdown_timeout with the
  // call still in the embedder, which then returned into the freed router (heap-use-after-free).
  logging_runtime run("runtime: {shutdown_timeout: 100ms}\n"
                      "embedders: [{name: slow, plugin: test_embedder, config: {fault: slow}}]\n"
                      "layers:\n  - {name: meaning, plugin: semantic, embedder: slow, config: {index: flat}}\n");
  runtime* rt = run.rt.get();
  auto storing = std::async(std::launch::async, [rt] {
    semantic_entry entry;
    entry.query = "a question";
    entry.answer = "an answer";
    return rt->semantic_store(entry);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // in the embedder, for 2 s
  const auto logged = run.stop_and_read_log();
  // Answered: stored if it reached the layer before the layer stopped.
  REQUIRE(storing.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const auto code = storing.get().code;
  CHECK((code == status::ok || code == status::unavailable));
  CHECK_THAT(logged, Catch::Contains("the shutdown has waited 1000 ms for a plugin call that has not returned: "
                                     "embedder 'slow': embed(), for "));
}

TEST_CASE("a layer sharing the scheduler that blocks past its deadline is timed out with the default threads",
          "[faults]") {
  // With one scheduler thread (half of two cores), the blocking call held the coordinator too:
  // every get took the full 1.5 s, answered not_found, and the layer stayed healthy. (On four
  // cores or more the old default gave two threads as well: this fails only on two or three.)
  auto rt = strata::testing::start_yaml("runtime: {threads: 0}\n"
                                        "layers:\n"
                                        "  - {name: hot, plugin: test_map}\n"
                                        "  - {name: shared, plugin: test_map, detached: false, deadline: 100ms,\n"
                                        "     config: {fail: hang_on_get, hang: 1500ms}}\n");
  CHECK(rt->get("k").code == status::timeout);
}

TEST_CASE("a layer on the scheduler that hangs again after a replacement beside its hung call is still timed out",
          "[faults]") {
  // The instance started beside the first hung call shared the scheduler too: its own hang took
  // the last of the two threads, and the second get's 100 ms deadline fired 14.6 s late.
  logging_runtime run("runtime: {threads: 2}\n"
                      "layers:\n"
                      "  - {name: hot, plugin: test_map}\n"
                      "  - {name: shared, plugin: test_map, detached: false, deadline: 100ms,\n"
                      "     config: {fail: hang_on_get, hang: 12s}}\n");
  CHECK(run.rt->get("k").code == status::timeout);
  // After 5 s the new instance starts beside the call that has not returned.
  REQUIRE(eventually([&] { return health_of(*run.rt, "shared").restarts == 1; }, std::chrono::seconds(7)));
  const auto start_time = std::chrono::steady_clock::now();
  CHECK(run.rt->get("k").code == status::timeout);
  // At its deadline, not when the first hang ends (12 s after it began, about 7 s from here).
  CHECK(std::chrono::steady_clock::now() - start_time < std::chrono::milliseconds(2500));
  CHECK_THAT(run.stop_and_read_log(), Catch::Contains("starting a new instance beside it, in a thread of its own"));
}

TEST_CASE("a replaced observing layer's new instance gets what is recorded after its start", "[faults]") {
  // The runtime recorded into the first instance's observer for ever: a replaced diary's flush and
  // count saw none of the records made since.
  auto rt = strata::testing::start_yaml("layers:\n"
                                        "  - {name: hot, plugin: test_map}\n"
                                        "  - {name: watcher, plugin: test_counting_observer, deadline: 100ms}\n");
  rt->get("a");
  rt->get("b");
  CHECK(rt->layer_command("watcher", "seen").json == R"({"seen":2})");
  CHECK(rt->layer_command("watcher", "hang").code == status::timeout);
  REQUIRE(eventually([&] { return health_of(*rt, "watcher").restarts == 1; }, std::chrono::seconds(15)));
  // The new instance starts a moment after the restart is counted; from then on it sees each get.
  CHECK(eventually([&] {
    rt->get("c");
    return rt->layer_command("watcher", "seen").json != R"({"seen":0})";
  }));
}

TEST_CASE("a layer command answered with text that is no JSON object is internal, not passed on", "[faults]") {
  // The HTTP API served "not json at all" as 200 application/json.
  auto rt = strata::testing::start_yaml("layers: [{name: odd, plugin: test_map}]\n");
  for (const char* command : {"not_json", "json_array"}) {
    const auto answer = rt->layer_command("odd", command);
    INFO(command << " answered " << answer.json);
    CHECK(answer.code == status::internal);
    const auto body = nlohmann::json::parse(answer.json);
    CHECK(body["error"] == std::string("layer 'odd' answered command '") + command +
                               "' with text that is not a JSON object");
  }
  CHECK(rt->layer_command("odd", "sleep").code == status::ok); // "{}"
}
