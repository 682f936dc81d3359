#include "sim/cluster.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "common/input_error.h"

#ifdef WEIGHTFAULT_HAVE_MPI
// The C API only: Open MPI's and MPICH's deprecated C++ bindings need their own library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace weightfault::sim {
namespace {

// Launchers set these in every rank's environment: Open MPI's mpirun, PMIx (srun
// --mpi=pmix, recent mpirun), PMI-1/2 (srun --mpi=pmi2, MPICH's hydra).
bool started_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace

void Cluster::stop_unless_all_ok(std::exception_ptr failure) const {
  if (size_ == 1) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  if (all(!failure)) return;
  std::vector<std::uint8_t> root_failed{static_cast<std::uint8_t>(root() && failure)};
  broadcast(root_failed);
  if (!failure || (!root() && root_failed[0] != 0)) throw PeerFailed{};
  std::rethrow_exception(failure);
}

#ifdef WEIGHTFAULT_HAVE_MPI

Cluster::Cluster() {
  if (!started_by_mpi_launcher()) return;
  int provided = 0;
  // Serialized: the root's receiver thread and its main thread call MPI, never at once.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  joined_ = true;
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw std::runtime_error("this MPI library cannot serialize calls from several threads");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Cluster::~Cluster() {
  if (joined_) MPI_Finalize();
}

bool Cluster::all(bool ok) const {
  if (size_ == 1) return ok;
  int mine = ok ? 1 : 0, every = 0;
  MPI_Allreduce(&mine, &every, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return every != 0;
}

void Cluster::broadcast(std::vector<std::uint8_t>& bytes) const {
  if (size_ == 1) return;
  auto size = static_cast<unsigned long long>(bytes.size());
  MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  bytes.resize(size);
  if (size > 0) MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_BYTE, 0, MPI_COMM_WORLD);
}

void Cluster::send_to_root(int tag, const std::vector<std::uint8_t>& bytes) const {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, tag, MPI_COMM_WORLD);
}

Cluster::Message Cluster::receive() const {
  // Polled with a pause, not MPI_Probe: Open MPI's blocking calls spin, and this thread
  // shares the cores with the root's own trial workers. A message waits at most 2 ms,
  // against trials of milliseconds to seconds.
  MPI_Status status;
  for (int arrived = 0;;) {
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status);
    if (arrived) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  Message m{status.MPI_SOURCE, status.MPI_TAG,
            std::vector<std::uint8_t>(static_cast<std::size_t>(count))};
  MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return m;
}

void Cluster::abort(int exit_code) const {
  if (joined_) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

#else  // a build without MPI: one process

Cluster::Cluster() {
  // Several copies of a build without MPI would each run the whole campaign.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* size = std::getenv(name);
    if (size != nullptr && std::atoi(size) > 1 && started_by_mpi_launcher())
      throw InputError(
          "this weightfault was built without MPI (libopenmpi-dev was not found): run it "
          "without mpirun, or rebuild with Open MPI (docs/cluster.md)");
  }
}
Cluster::~Cluster() = default;
bool Cluster::all(bool ok) const {
  return ok;
}
void Cluster::broadcast(std::vector<std::uint8_t>&) const {}
void Cluster::send_to_root(int, const std::vector<std::uint8_t>&) const {
  throw std::logic_error("Cluster::send_to_root in a single process");
}
Cluster::Message Cluster::receive() const {
  throw std::logic_error("Cluster::receive in a single process");
}
void Cluster::abort(int exit_code) const {
  std::_Exit(exit_code);
}

#endif

}  // namespace weightfault::sim
