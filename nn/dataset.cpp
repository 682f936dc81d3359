#include "nn/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "common/hdf5_file.h"
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

namespace {

// The per-sample axes as channels/height/width: [C, H, W] as such, anything else flat.
void set_sample_shape(Dataset& data, const std::vector<std::uint64_t>& dims) {
  if (dims.size() == 4) {
    data.channels = static_cast<int>(dims[1]);
    data.height = static_cast<int>(dims[2]);
    data.width = static_cast<int>(dims[3]);
    return;
  }
  std::uint64_t volume = 1;
  for (std::size_t d = 1; d < dims.size(); ++d) volume *= dims[d];
  data.channels = 1;
  data.height = 1;
  data.width = static_cast<int>(volume);
}

void keep_first(Dataset& data, std::size_t limit, const std::string& where) {
  if (limit == 0) return;
  if (limit > data.size()) {
    throw InputError(fmt::format("{}: limit {} is more than the {} samples it holds", where, limit,
                                 data.size()));
  }
  if (data.is_float())
    data.features.resize(limit * data.image_size());
  else
    data.pixels.resize(limit * data.image_size());
  data.labels.resize(limit);
}

}  // namespace

Dataset load_dataset_file(const std::filesystem::path& file, const std::string& inputs,
                          const std::string& labels, std::size_t limit) {
  const auto h5file = h5::open_file(file);
  const std::string where = file.string();
  for (const auto& name : {inputs, labels}) {
    if (!h5::has_child(h5file, name)) {
      throw InputError(fmt::format("{}: no dataset '{}' (found: {})", where, name,
                                   fmt::join(h5::child_names(h5file), ", ")));
    }
  }
  const auto x = h5::open_dataset(h5file, inputs);
  const auto y = h5::open_dataset(h5file, labels);
  const auto dims = h5::dataset_dims(x);
  const auto label_dims = h5::dataset_dims(y);
  if (dims.size() < 2)
    throw InputError(fmt::format("{}: '{}' must be [N, ...] (one sample per row)", where, inputs));
  if (label_dims.size() != 1 || label_dims[0] != dims[0]) {
    throw InputError(fmt::format("{}: '{}' holds {} samples but '{}' is not [{}]", where, inputs,
                                 dims[0], labels, dims[0]));
  }
  Dataset data;
  data.name = where;
  data.split = "file";
  data.num_classes = 0;
  set_sample_shape(data, dims);
  const hid_t type = H5Dget_type(x.id());
  const auto type_class = H5Tget_class(type);
  const auto type_size = H5Tget_size(type);
  const auto sign = H5Tget_sign(type);
  H5Tclose(type);
  const std::size_t count = dims[0] * data.image_size();
  if (type_class == H5T_INTEGER && type_size == 1 && sign == H5T_SGN_NONE) {
    data.pixels.resize(count);
    h5::read_into(x, H5T_NATIVE_UINT8, data.pixels.data());
  } else if (type_class == H5T_FLOAT && type_size == 4) {
    data.features.resize(count);
    h5::read_into(x, H5T_NATIVE_FLOAT, data.features.data());
  } else {
    throw InputError(fmt::format("{}: '{}' must hold uint8 or float32 values", where, inputs));
  }
  const auto values = h5::read_int64s(y);
  data.labels.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] > 255) {
      throw InputError(
          fmt::format("{}: label {} of sample {} is outside 0..255", where, values[i], i));
    }
    data.labels[i] = static_cast<std::uint8_t>(values[i]);
  }
  keep_first(data, limit, where);
  return data;
}

Dataset load_idx_files(const std::filesystem::path& images, const std::filesystem::path& labels,
                       std::size_t limit) {
  Dataset data = load_idx_pair(images, labels);
  data.name = images.string();
  data.split = "file";
  keep_first(data, limit, images.string());
  return data;
}

std::vector<std::size_t> label_histogram(const Dataset& data) {
  std::vector<std::size_t> counts(static_cast<std::size_t>(data.num_classes), 0);
  for (auto label : data.labels) ++counts[label];
  return counts;
}

void check_limit(const Dataset& data, std::size_t limit, const std::string& what) {
  if (limit > data.size())
    throw InputError(fmt::format("{} = {}, but {} has {} images (0 = all)", what, limit,
                                 data.name + (data.split.empty() ? "" : "/" + data.split),
                                 data.size()));
}

}  // namespace weightfault::nn
