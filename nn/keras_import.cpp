#include "nn/keras_import.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/hdf5_file.h"
#include "common/input_error.h"

namespace weightfault::nn {
namespace {

using nlohmann::json;

struct HwcShape {
  std::int64_t h, w, c;
};

class Importer {
 public:
  Importer(std::filesystem::path path, const KerasImportOptions& options)
      : path_(std::move(path)), file_(h5::open_file(path_)) {
    network_.normalization = options.normalization;
    network_.name = path_.stem().string();
  }

  Network run() {
    if (!h5::has_attribute(file_, "model_config")) {
      throw InputError(
          fmt::format("{}: no 'model_config' attribute; not a Keras model file "
                      "(weights-only files cannot be imported)",
                      path_.string()));
    }
    json config;
    try {
      config = json::parse(h5::read_string_attribute(file_, "model_config"));
    } catch (const json::exception& e) {
      throw InputError(
          fmt::format("{}: model_config is not valid JSON: {}", path_.string(), e.what()));
    }
    const std::string cls = config.value("class_name", "");
    if (cls != "Sequential") {
      throw InputError(fmt::format("{}: model class '{}' is not supported (only Sequential)",
                                   path_.string(), cls));
    }
    const json& body = config.at("config");
    const json& layers = body.is_array() ? body : body.at("layers");
    const std::string version = h5::has_attribute(file_, "keras_version")
                                    ? h5::read_string_attribute(file_, "keras_version")
                                    : "unknown";
    network_.source = fmt::format("Keras {} file {}", version, path_.filename().string());
    weights_root_ = h5::has_child(file_, "model_weights") ? h5::open_group(file_, "model_weights")
                                                          : h5::open_group(file_, "/");
    try {
      for (const auto& layer : layers) import_layer(layer);
      network_.finalize();
    } catch (const json::exception& e) {
      throw InputError(fmt::format("{}: malformed model_config: {}", path_.string(), e.what()));
    } catch (const InputError& e) {
      const std::string what = e.what();
      if (what.rfind(path_.string(), 0) == 0) throw;
      throw InputError(fmt::format("{}: {}", path_.string(), what));
    }
    return std::move(network_);
  }

 private:
  [[noreturn]] void fail(const std::string& layer, const std::string& what) const {
    throw InputError(fmt::format("{}: Keras layer '{}': {}", path_.string(), layer, what));
  }

  void add(Layer layer) {
    if (!previous_.empty()) layer.inputs = {previous_};
    previous_ = layer.name;
    network_.add_layer(std::move(layer));
  }

  void ensure_input(const json& cfg, const std::string& name) {
    if (!previous_.empty()) return;
    if (!cfg.contains("batch_input_shape")) fail(name, "the first layer has no batch_input_shape");
    const auto& dims = cfg.at("batch_input_shape");
    Layer input;
    input.name = "input";
    input.op = "input";
    if (dims.size() == 4) {
      shape_ = {dims[3].get<std::int64_t>(), dims[1].get<std::int64_t>(),
                dims[2].get<std::int64_t>()};
    } else if (dims.size() == 2) {
      shape_ = {dims[1].get<std::int64_t>()};
    } else {
      fail(name, fmt::format("input shape {} is not [H, W, C] or [F]", dims.dump()));
    }
    input.input_shape = shape_;
    add(std::move(input));
  }

  std::map<std::string, Tensor> read_weights(const std::string& name) {
    std::map<std::string, Tensor> out;
    if (!h5::has_child(weights_root_, name)) return out;
    const auto group = h5::open_group(weights_root_, name);
    if (!h5::has_attribute(group, "weight_names")) return out;
    // Keras writes an empty float array for layers without weights.
    std::vector<std::string> names;
    try {
      names = h5::read_string_list_attribute(group, "weight_names");
    } catch (const InputError&) {
      return out;
    }
    for (const auto& full : names) {
      std::string role = full.substr(full.rfind('/') + 1);
      role = role.substr(0, role.find(':'));
      auto array = h5::read_float_dataset(group, full);
      out[role] = Tensor{std::move(array.dims), std::move(array.values)};
    }
    return out;
  }

  static Tensor take(std::map<std::string, Tensor>& weights, const std::string& role,
                     const std::string& layer, const Importer& self) {
    const auto it = weights.find(role);
    if (it == weights.end()) self.fail(layer, fmt::format("missing weight '{}'", role));
    return std::move(it->second);
  }

  void check_channels_last(const json& cfg, const std::string& name) const {
    if (cfg.value("data_format", "channels_last") != "channels_last") {
      fail(name, "only data_format 'channels_last' is supported");
    }
  }

  // Keras 'same'/'valid' padding as our {top, left, bottom, right}; 'same'
  // puts the extra row/column at the bottom/right, as TensorFlow does.
  std::array<std::int64_t, 4> padding_for(const json& cfg, const std::string& name,
                                          std::array<std::int64_t, 2> kernel,
                                          std::array<std::int64_t, 2> stride) const {
    const std::string mode = cfg.value("padding", "valid");
    if (mode == "valid") return {0, 0, 0, 0};
    if (mode != "same")
      fail(name, fmt::format("padding '{}' is not supported (valid, same)", mode));
    std::array<std::int64_t, 4> pad{};
    for (std::size_t a = 0; a < 2; ++a) {
      const std::int64_t in = shape_[a + 1];
      const std::int64_t out = (in + stride[a] - 1) / stride[a];
      const std::int64_t total = std::max<std::int64_t>((out - 1) * stride[a] + kernel[a] - in, 0);
      pad[a] = total / 2;
      pad[a + 2] = total - total / 2;
    }
    return pad;
  }

  static std::array<std::int64_t, 2> pair(const json& value) {
    return {value.at(0).get<std::int64_t>(), value.at(1).get<std::int64_t>()};
  }

  void add_activation(const std::string& activation, const std::string& base) {
    if (activation == "linear") return;
    Layer layer;
    layer.name = base + "_" + activation;
    if (activation == "relu") {
      layer.op = "relu";
    } else if (activation == "tanh") {
      layer.op = "tanh";
    } else if (activation == "softmax") {
      layer.op = "softmax";
    } else {
      fail(base, fmt::format("activation '{}' is not supported (linear, relu, tanh, softmax)",
                             activation));
    }
    add(std::move(layer));
  }

  // Reorders a per-feature vector from Keras' HWC flatten order to our CHW order.
  std::vector<float> hwc_to_chw(const std::vector<float>& v) const {
    if (!flattened_hwc_) return v;
    const auto [h, w, c] = *flattened_hwc_;
    std::vector<float> out(v.size());
    for (std::int64_t ci = 0; ci < c; ++ci)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
          out[static_cast<std::size_t>((ci * h + y) * w + x)] =
              v[static_cast<std::size_t>((y * w + x) * c + ci)];
    return out;
  }

  using Weights = std::map<std::string, Tensor>;

  void import_layer(const json& entry) {
    const std::string cls = entry.at("class_name").get<std::string>();
    const json& cfg = entry.at("config");
    const std::string name = cfg.at("name").get<std::string>();
    ensure_input(cfg, name);
    if (cls == "InputLayer") return;
    if (cls == "Activation") {
      add_activation(cfg.at("activation").get<std::string>(), name);
      return;
    }
    auto weights = read_weights(name);
    Layer layer;
    layer.name = name;
    if (cls == "Conv2D") {
      import_conv2d(cfg, name, weights, layer);
    } else if (cls == "Dense") {
      import_dense(cfg, name, weights, layer);
    } else if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
      import_pooling(cls, cfg, name, weights, layer);
    } else if (cls == "GlobalAveragePooling2D") {
      import_global_avg_pool(cfg, name, weights, layer);
    } else if (cls == "Flatten") {
      import_flatten(cfg, name, weights, layer);
    } else if (cls == "Dropout") {
      layer.op = "dropout";
      add(std::move(layer));
    } else if (cls == "ReLU") {
      import_relu(cfg, name, weights, layer);
    } else if (cls == "BatchNormalization") {
      import_batch_norm(cfg, name, weights, layer);
    } else {
      fail(name, fmt::format("layer class '{}' is not supported (supported: {})", cls,
                             fmt::join(supported_keras_layers(), ", ")));
    }
  }

  void import_conv2d(const json& cfg, const std::string& name, Weights& weights, Layer& layer) {
    check_channels_last(cfg, name);
    if (shape_.size() != 3) fail(name, "Conv2D needs an image input");
    if (cfg.contains("dilation_rate") &&
        pair(cfg.at("dilation_rate")) != std::array<std::int64_t, 2>{1, 1}) {
      fail(name, "dilated convolutions are not supported");
    }
    if (cfg.contains("groups") && cfg.at("groups").get<int>() != 1) {
      fail(name, "grouped convolutions are not supported");
    }
    layer.op = "conv2d";
    layer.units = cfg.at("filters").get<std::int64_t>();
    layer.kernel = pair(cfg.at("kernel_size"));
    layer.stride = pair(cfg.at("strides"));
    layer.padding = padding_for(cfg, name, layer.kernel, layer.stride);
    const Tensor k = take(weights, "kernel", name, *this);
    const std::int64_t kh = layer.kernel[0], kw = layer.kernel[1], ci = shape_[0], co = layer.units;
    if (k.dims != std::vector<std::int64_t>{kh, kw, ci, co}) {
      fail(name, fmt::format("kernel shape [{}] does not match [{}, {}, {}, {}]",
                             fmt::join(k.dims, ", "), kh, kw, ci, co));
    }
    Tensor oihw{{co, ci, kh, kw}, std::vector<float>(k.values.size())};
    for (std::int64_t o = 0; o < co; ++o)
      for (std::int64_t i = 0; i < ci; ++i)
        for (std::int64_t y = 0; y < kh; ++y)
          for (std::int64_t x = 0; x < kw; ++x)
            oihw.values[static_cast<std::size_t>(((o * ci + i) * kh + y) * kw + x)] =
                k.values[static_cast<std::size_t>(((y * kw + x) * ci + i) * co + o)];
    layer.params["kernel"] = std::move(oihw);
    layer.params["bias"] =
        cfg.value("use_bias", true)
            ? take(weights, "bias", name, *this)
            : Tensor{{co}, std::vector<float>(static_cast<std::size_t>(co), 0.0f)};
    const auto pad = layer.padding;
    shape_ = {co, (shape_[1] + pad[0] + pad[2] - kh) / layer.stride[0] + 1,
              (shape_[2] + pad[1] + pad[3] - kw) / layer.stride[1] + 1};
    add(std::move(layer));
    add_activation(cfg.value("activation", "linear"), name);
  }

  void import_dense(const json& cfg, const std::string& name, Weights& weights, Layer& layer) {
    if (shape_.size() != 1) fail(name, "Dense needs a flat input (add a Flatten)");
    layer.op = "dense";
    layer.units = cfg.at("units").get<std::int64_t>();
    const Tensor k = take(weights, "kernel", name, *this);
    const std::int64_t in = shape_[0], out = layer.units;
    if (k.dims != std::vector<std::int64_t>{in, out}) {
      fail(name, fmt::format("kernel shape [{}] does not match [{}, {}]", fmt::join(k.dims, ", "),
                             in, out));
    }
    Tensor oi{{out, in}, std::vector<float>(k.values.size())};
    std::vector<float> column(static_cast<std::size_t>(in));
    for (std::int64_t o = 0; o < out; ++o) {
      for (std::int64_t i = 0; i < in; ++i)
        column[static_cast<std::size_t>(i)] = k.values[static_cast<std::size_t>(i * out + o)];
      const auto permuted = hwc_to_chw(column);
      std::copy(permuted.begin(), permuted.end(), oi.values.begin() + o * in);
    }
    flattened_hwc_.reset();
    layer.params["kernel"] = std::move(oi);
    layer.params["bias"] =
        cfg.value("use_bias", true)
            ? take(weights, "bias", name, *this)
            : Tensor{{out}, std::vector<float>(static_cast<std::size_t>(out), 0.0f)};
    shape_ = {out};
    add(std::move(layer));
    add_activation(cfg.value("activation", "linear"), name);
  }

  void import_pooling(const std::string& cls, const json& cfg, const std::string& name,
                      Weights& weights, Layer& layer) {
    (void)weights;
    check_channels_last(cfg, name);
    if (shape_.size() != 3) fail(name, "pooling needs an image input");
    layer.op = cls == "MaxPooling2D" ? "max_pool" : "avg_pool";
    layer.kernel = pair(cfg.at("pool_size"));
    layer.stride = cfg.contains("strides") && !cfg.at("strides").is_null() ? pair(cfg.at("strides"))
                                                                           : layer.kernel;
    layer.padding = padding_for(cfg, name, layer.kernel, layer.stride);
    const auto pad = layer.padding;
    shape_ = {shape_[0], (shape_[1] + pad[0] + pad[2] - layer.kernel[0]) / layer.stride[0] + 1,
              (shape_[2] + pad[1] + pad[3] - layer.kernel[1]) / layer.stride[1] + 1};
    add(std::move(layer));
  }

  void import_global_avg_pool(const json& cfg, const std::string& name, Weights& weights,
                              Layer& layer) {
    (void)weights;
    check_channels_last(cfg, name);
    layer.op = "global_avg_pool";
    shape_ = {shape_.at(0)};
    add(std::move(layer));
  }

  void import_flatten(const json& cfg, const std::string& name, Weights& weights, Layer& layer) {
    (void)cfg;
    (void)weights;
    (void)name;
    layer.op = "flatten";
    if (shape_.size() == 3) {
      flattened_hwc_ = HwcShape{shape_[1], shape_[2], shape_[0]};
      shape_ = {shape_[0] * shape_[1] * shape_[2]};
    }
    add(std::move(layer));
  }

  void import_relu(const json& cfg, const std::string& name, Weights& weights, Layer& layer) {
    (void)weights;
    if (cfg.value("negative_slope", 0.0) != 0.0 || cfg.value("threshold", 0.0) != 0.0) {
      fail(name, "ReLU with negative_slope or threshold is not supported");
    }
    const bool clipped = cfg.contains("max_value") && !cfg.at("max_value").is_null();
    layer.op = clipped ? "clipped_relu" : "relu";
    if (clipped) layer.clip_max = cfg.at("max_value").get<float>();
    add(std::move(layer));
  }

  void import_batch_norm(const json& cfg, const std::string& name, Weights& weights, Layer& layer) {
    const auto axis = cfg.value("axis", -1);
    const bool last_axis = axis == -1 || axis == static_cast<int>(shape_.size());
    if (!last_axis) fail(name, fmt::format("axis {} is not supported (channels axis only)", axis));
    layer.op = "batch_norm";
    layer.epsilon = cfg.value("epsilon", 1e-3f);
    const std::int64_t channels = shape_[0];
    const std::vector<float> ones(static_cast<std::size_t>(channels), 1.0f);
    const std::vector<float> zeros(static_cast<std::size_t>(channels), 0.0f);
    auto vector_of = [&](const std::string& role, bool present,
                         const std::vector<float>& fallback) {
      Tensor t = present ? take(weights, role, name, *this) : Tensor{{channels}, fallback};
      t.values = hwc_to_chw(t.values);  // per-feature BN after a Flatten
      return t;
    };
    layer.params["gamma"] = vector_of("gamma", cfg.value("scale", true), ones);
    layer.params["beta"] = vector_of("beta", cfg.value("center", true), zeros);
    layer.params["moving_mean"] = vector_of("moving_mean", true, zeros);
    layer.params["moving_variance"] = vector_of("moving_variance", true, ones);
    add(std::move(layer));
  }

  std::filesystem::path path_;
  h5::Object file_;
  h5::Object weights_root_;
  Network network_;
  std::string previous_;
  Shape shape_;
  std::optional<HwcShape> flattened_hwc_;
};

}  // namespace

const std::vector<std::string>& supported_keras_layers() {
  static const std::vector<std::string> names{"InputLayer",
                                              "Conv2D",
                                              "Dense",
                                              "MaxPooling2D",
                                              "AveragePooling2D",
                                              "GlobalAveragePooling2D",
                                              "Flatten",
                                              "Dropout",
                                              "Activation",
                                              "ReLU",
                                              "BatchNormalization"};
  return names;
}

Network import_keras(const std::filesystem::path& path, const KerasImportOptions& options) {
  return Importer(path, options).run();
}

}  // namespace weightfault::nn
