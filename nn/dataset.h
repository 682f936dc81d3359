// Labelled image datasets (MNIST, Fashion-MNIST) read from IDX files under the
// data root, with a documented calibration split carved from the training set.
//
// Splits (docs/datasets.md):
//   test         the 10,000 official test images, in file order
//   train        the 60,000 training images minus the calibration images
//   calibration  5,000 training images picked by a fixed SplitMix64 shuffle
//                (seed kCalibrationSeed), in file order; never used for testing
//   train_full   all 60,000 training images
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weightfault::nn {

inline constexpr std::uint64_t kCalibrationSeed = 0x63616c6962ULL;  // "calib"
inline constexpr std::size_t kCalibrationSize = 5000;

struct Dataset;
// A limit larger than the data is a mistake, not "all": throws InputError naming `what`.
void check_limit(const Dataset& data, std::size_t limit, const std::string& what);

struct Dataset {
  std::string name;   // "mnist", "fashion-mnist", or the file a user's data came from
  std::string split;  // "test", "train", "calibration", "train_full" ("file" for a user's file)
  int channels = 1;
  int height = 0;
  int width = 0;
  int num_classes = 10;  // 0: not known (a user's file); labels must be < the model's classes
  std::vector<std::uint8_t> pixels;  // [N][C][H][W], raw 0..255
  std::vector<float> features;       // float32 inputs [N][...], used instead of pixels if any
  std::vector<std::uint8_t> labels;  // [N]

  bool is_float() const { return !features.empty(); }

  std::size_t size() const { return labels.size(); }
  std::size_t image_size() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
  std::span<const std::uint8_t> image(std::size_t i) const {
    return {pixels.data() + i * image_size(), image_size()};
  }
};

const std::vector<std::string>& known_dataset_names();
const std::vector<std::string>& known_split_names();

// Loads `name`/`split` from `data_root`/external/<name>/ (plain or .gz IDX files).
// `limit` > 0 keeps only the first `limit` samples of the split. Throws InputError.
Dataset load_dataset(const std::filesystem::path& data_root, std::string_view name,
                     std::string_view split, std::size_t limit = 0);

// A user's labelled data in an HDF5 file (docs/datasets.md): dataset `inputs` ([N, ...],
// uint8 or float32) and `labels` ([N], integers 0..255). `limit` > 0 keeps the first
// `limit` samples (more than the file holds is an error). Throws InputError.
Dataset load_dataset_file(const std::filesystem::path& file, const std::string& inputs = "inputs",
                          const std::string& labels = "labels", std::size_t limit = 0);

// An image/label IDX pair given by path, with the same `limit` rule.
Dataset load_idx_files(const std::filesystem::path& images, const std::filesystem::path& labels,
                       std::size_t limit = 0);

// Loads an image/label IDX pair; image and label counts must match.
Dataset load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels);

// Indices (ascending) of the training images that form the calibration split.
std::vector<std::size_t> calibration_indices(std::size_t train_size);

// Histogram of labels, one count per class.
std::vector<std::size_t> label_histogram(const Dataset& data);

}  // namespace weightfault::nn
