// Model HDF5 reader: shipped models (plain, SAF-trained, with sub-models, with
// batch norms), edited by the input (fuzz/hdf5_edits.h), loaded both ways.
#include "fuzz/hdf5_edits.h"
#include "nn/model_file.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::filesystem::path> bases{
      wf::fuzz::source_file("data/models/lenet5_mnist_saf.h5"),
      wf::fuzz::source_file("data/models/mlp_mnist_subnet.h5"),
      wf::fuzz::source_file("data/models/resnet_small_fashion.h5"),
      wf::fuzz::source_file("data/models/resnet_nobn_fashion_subnet.h5")};
  wf::fuzz::ByteSource input(data, size);
  const auto path = wf::fuzz::scratch_path("model.h5");
  wf::fuzz::write_edited_hdf5(bases, path, input);
  wf::fuzz::expect_clean_failure([&] { wf::nn::load_model(path, true); });
  wf::fuzz::expect_clean_failure([&] { wf::nn::load_model(path, false); });
  return 0;
}
