// Keras import: the pretrained Keras CNN (scripts/setup.sh fetches it) and a small
// Keras file of every supported layer kind, edited by the input (fuzz/hdf5_edits.h):
// attributes, weights and the model_config JSON node by node.
#include "fuzz/hdf5_edits.h"
#include "nn/keras_import.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::filesystem::path> bases{
      wf::fuzz::source_file("data/external/mnist-react-tfjs/keras/cnn.h5"),
      wf::fuzz::source_file("fuzz/bases/keras_layers.h5")};
  wf::fuzz::ByteSource input(data, size);
  const auto path = wf::fuzz::scratch_path("keras.h5");
  wf::fuzz::write_edited_hdf5(bases, path, input);
  wf::fuzz::expect_clean_failure([&] { wf::nn::import_keras(path); });
  return 0;
}
