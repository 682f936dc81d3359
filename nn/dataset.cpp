#include "nn/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "nn/idx_file.h"

namespace weightfault::nn {
namespace {

// Prefers the plain file, falls back to the .gz one (Debian ships Fashion-MNIST gzipped).
std::filesystem::path find_idx(const std::filesystem::path& dir, const std::string& stem) {
  const auto plain = dir / stem;
  if (std::filesystem::exists(plain)) return plain;
  const auto gz = dir / (stem + ".gz");
  if (std::filesystem::exists(gz)) return gz;
  throw InputError(fmt::format("{}: dataset file not found (nor {}.gz); run scripts/setup.sh",
                               plain.string(), stem));
}

Dataset subset(const Dataset& all, const std::vector<std::size_t>& keep) {
  Dataset out = all;
  out.pixels.resize(keep.size() * all.image_size());
  out.labels.resize(keep.size());
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const auto src = all.image(keep[k]);
    std::copy(src.begin(), src.end(), out.pixels.begin() + k * all.image_size());
    out.labels[k] = all.labels[keep[k]];
  }
  return out;
}

}  // namespace

const std::vector<std::string>& known_dataset_names() {
  static const std::vector<std::string> names{"mnist", "fashion-mnist"};
  return names;
}

const std::vector<std::string>& known_split_names() {
  static const std::vector<std::string> names{"test", "train", "calibration", "train_full"};
  return names;
}

Dataset load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels) {
  const IdxArray img = read_idx_u8(images, 3);
  const IdxArray lab = read_idx_u8(labels, 1);
  if (img.dims[0] != lab.dims[0]) {
    throw InputError(fmt::format("{}: {} images but {} has {} labels", images.string(), img.dims[0],
                                 labels.string(), lab.dims[0]));
  }
  Dataset out;
  out.channels = 1;
  out.height = static_cast<int>(img.dims[1]);
  out.width = static_cast<int>(img.dims[2]);
  out.pixels = img.values;
  out.labels = lab.values;
  for (std::size_t i = 0; i < out.labels.size(); ++i) {
    if (out.labels[i] >= out.num_classes) {
      throw InputError(fmt::format("{}: label {} of sample {} is outside 0..{}", labels.string(),
                                   out.labels[i], i, out.num_classes - 1));
    }
  }
  return out;
}

std::vector<std::size_t> calibration_indices(std::size_t train_size) {
  std::vector<std::size_t> order(train_size);
  std::iota(order.begin(), order.end(), std::size_t{0});
  SplitMix64 rng(kCalibrationSeed);
  // Fisher-Yates, portable: the same split on every platform and library.
  for (std::size_t i = train_size; i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  const std::size_t n = std::min(kCalibrationSize, train_size);
  std::vector<std::size_t> picked(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(picked.begin(), picked.end());
  return picked;
}

Dataset load_dataset(const std::filesystem::path& data_root, std::string_view name,
                     std::string_view split, std::size_t limit) {
  const auto& names = known_dataset_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw InputError(fmt::format("unknown dataset '{}' (known: {})", name, fmt::join(names, ", ")));
  }
  const auto& splits = known_split_names();
  if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    throw InputError(
        fmt::format("unknown dataset split '{}' (known: {})", split, fmt::join(splits, ", ")));
  }
  const auto dir = data_root / "external" / std::string(name);
  const bool test = split == "test";
  const std::string prefix = test ? "t10k" : "train";
  const auto images =
      find_idx(dir, prefix + "-images-idx3-ubyte");  // images first: stable messages
  const auto labels = find_idx(dir, prefix + "-labels-idx1-ubyte");
  Dataset data = load_idx_pair(images, labels);
  if (split == "calibration" || split == "train") {
    const auto calib = calibration_indices(data.size());
    std::vector<std::size_t> keep;
    if (split == "calibration") {
      keep = calib;
    } else {
      std::vector<bool> in_calib(data.size(), false);
      for (auto i : calib) in_calib[i] = true;
      for (std::size_t i = 0; i < data.size(); ++i) {
        if (!in_calib[i]) keep.push_back(i);
      }
    }
    data = subset(data, keep);
  }
  if (limit > 0 && limit < data.size()) {
    data.pixels.resize(limit * data.image_size());
    data.labels.resize(limit);
  }
  data.name = std::string(name);
  data.split = std::string(split);
  return data;
}

std::vector<std::size_t> label_histogram(const Dataset& data) {
  std::vector<std::size_t> counts(static_cast<std::size_t>(data.num_classes), 0);
  for (auto label : data.labels) ++counts[label];
  return counts;
}

}  // namespace weightfault::nn
