// The processes of one run: a single process, or the ranks of an MPI job started by
// mpirun or srun (docs/cluster.md). Only `run` uses it: the campaign splits its trials
// over the ranks and rank 0 writes the one results file.
//
// Built without MPI, or started without a launcher, it is a cluster of one and never
// touches MPI. Messages are byte strings; what they mean is the campaign's business.
#pragma once

#include <cstdint>
#include <exception>
#include <vector>

namespace weightfault::sim {

class Cluster {
 public:
  // Joins the MPI job when the process was started by an MPI launcher (Open MPI's
  // mpirun, srun with PMI/PMIx); otherwise one process.
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }

  // Collective: whether `ok` holds on every rank (ranks agree to stop together).
  bool all(bool ok) const;
  // Collective: the root's `bytes` on every rank.
  void broadcast(std::vector<std::uint8_t>& bytes) const;
  // Point to point, to the root; and at the root, the next message from any rank.
  void send_to_root(int tag, const std::vector<std::uint8_t>& bytes) const;
  struct Message {
    int source = 0, tag = 0;
    std::vector<std::uint8_t> bytes;
  };
  Message receive() const;
  // Collective, after a step any rank may fail (`failure` set): every rank stops when one
  // did, and the failure is reported once -- rethrown by the root when it failed, else by
  // the ranks that did; the others throw PeerFailed, which says nothing.
  void stop_unless_all_ok(std::exception_ptr failure) const;
  // Ends every rank of the job (after an error on one rank that the others cannot see).
  [[noreturn]] void abort(int exit_code) const;

 private:
  int rank_ = 0, size_ = 1;
  bool joined_ = false;
};

// Raised on a rank that stops because another rank failed (that rank reports the error).
struct PeerFailed {};

}  // namespace weightfault::sim
