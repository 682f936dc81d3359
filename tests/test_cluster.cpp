// The pieces of an MPI run that need no mpirun: a process started alone is a cluster of
// one, and a trial's records survive the bytes the ranks send each other
// (tests/mpi_runs.sh runs real MPI jobs).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "common/input_error.h"
#include "sim/cluster.h"
#include "sim/results_file.h"

namespace wf = weightfault;

TEST_CASE("a process started without an MPI launcher is a cluster of one") {
  const wf::sim::Cluster cluster;
  CHECK(cluster.size() == 1);
  CHECK(cluster.rank() == 0);
  CHECK(cluster.root());
  CHECK(cluster.all(true));
  CHECK_FALSE(cluster.all(false));
  CHECK_NOTHROW(cluster.stop_unless_all_ok(nullptr));
  // Alone, a failure is this process's own: rethrown as it was.
  const auto failure = std::make_exception_ptr(wf::InputError("x.toml: bad"));
  CHECK_THROWS_AS(cluster.stop_unless_all_ok(failure), wf::InputError);
}

TEST_CASE("a trial's records survive encoding for another rank") {
  std::vector<wf::sim::TrialRecord> records(3);
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto& r = records[i];
    r.point = 2 + i;
    r.trial = 40 + i;
    r.protection = i;
    r.dtype = 3 - i;
    r.checkpoint = 7 * i;
    r.accuracy = 0.123456789 + static_cast<double>(i);
    r.correct = -1 + static_cast<std::int64_t>(i);
    r.faults_active = 1LL << 40;
    r.bits_changed = 17;
    r.weights_changed = {1, 2, 3};
    r.layers_dropped = {0, 1};
    r.flips_by_position.assign(32, static_cast<std::int64_t>(i));
    if (i == 0) r.faults_by_model_kind = {5, 0, 9, 1, 1, 1};
  }
  records[2].accuracy = std::nan("");
  const auto bytes = wf::sim::encode_trial(records);
  const auto back = wf::sim::decode_trial(bytes);
  REQUIRE(back.size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto &a = records[i], &b = back[i];
    CHECK(a.point == b.point);
    CHECK(a.trial == b.trial);
    CHECK(a.protection == b.protection);
    CHECK(a.dtype == b.dtype);
    CHECK(a.checkpoint == b.checkpoint);
    if (std::isnan(a.accuracy))
      CHECK(std::isnan(b.accuracy));
    else
      CHECK(a.accuracy == b.accuracy);  // bit for bit: the file must not depend on the rank
    CHECK(a.correct == b.correct);
    CHECK(a.faults_active == b.faults_active);
    CHECK(a.bits_changed == b.bits_changed);
    CHECK(a.weights_changed == b.weights_changed);
    CHECK(a.layers_dropped == b.layers_dropped);
    CHECK(a.flips_by_position == b.flips_by_position);
    CHECK(a.faults_by_model_kind == b.faults_by_model_kind);
  }
  // A damaged message is refused, not read past its end.
  auto cut = bytes;
  cut.resize(cut.size() - 3);
  CHECK_THROWS_AS(wf::sim::decode_trial(cut), std::runtime_error);
}
