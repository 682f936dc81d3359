// The op registry and what every op shares: error helpers, defaults, and the
// definition helpers (initial weights, window keys).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/input_error.h"
#include "nn/definition_context.h"
#include "nn/op.h"
#include "nn/ops/window.h"

// Every op: one line per file in nn/ops/ (docs/extending.md). `X(name)` declares
// `const Op& name_op()`, defined in nn/ops/name.cpp.
#define WEIGHTFAULT_OPS(X) \
  X(input)                 \
  X(conv2d)                \
  X(dense)                 \
  X(relu)                  \
  X(clipped_relu)          \
  X(tanh)                  \
  X(max_pool)              \
  X(avg_pool)              \
  X(global_avg_pool)       \
  X(batch_norm)            \
  X(add)                   \
  X(flatten)               \
  X(softmax)               \
  X(dropout)               \
  X(sigmoid)               \
  X(leaky_relu)            \
  X(hard_swish)            \
  X(gelu)                  \
  X(affine)                \
  X(pow)                   \
  X(sqrt)                  \
  X(hard_sigmoid)          \
  X(mul)                   \
  X(sub)                   \
  X(div)                   \
  X(matmul)                \
  X(layer_norm)            \
  X(parameter)             \
  X(reshape)               \
  X(transpose)             \
  X(concat)                \
  X(slice)                 \
  X(gather)                \
  X(reduce_mean)

namespace weightfault::nn {

#define WEIGHTFAULT_DECLARE_OP(name) const Op& name##_op();
WEIGHTFAULT_OPS(WEIGHTFAULT_DECLARE_OP)
#undef WEIGHTFAULT_DECLARE_OP

namespace {

const std::vector<const Op*>& all_ops() {
#define WEIGHTFAULT_LIST_OP(name) &name##_op(),
  static const std::vector<const Op*> ops{WEIGHTFAULT_OPS(WEIGHTFAULT_LIST_OP)};
#undef WEIGHTFAULT_LIST_OP
  return ops;
}

}  // namespace

const Op* find_op(std::string_view name) {
  for (const auto* op : all_ops()) {
    if (op->name() == name) return op;
  }
  return nullptr;
}

const Op& op_named(std::string_view name) {
  if (const auto* op = find_op(name)) return *op;
  throw InputError(fmt::format("unknown layer op '{}' (known: {})", name,
                               fmt::join(known_layer_op_names(), ", ")));
}

const std::vector<std::string>& known_layer_op_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto* op : all_ops()) out.emplace_back(op->name());
    return out;
  }();
  return names;
}

void fail_layer(const Layer& layer, const std::string& what) {
  throw InputError(fmt::format("layer '{}' ({}): {}", layer.name, layer.op, what));
}

void need_inputs(const Layer& layer, std::span<const Shape* const> in, std::size_t n) {
  if (in.size() != n) fail_layer(layer, fmt::format("takes {} input(s), has {}", n, in.size()));
}

void expect_param_dims(const Layer& layer, const std::string& role,
                       const std::vector<std::int64_t>& want) {
  const auto it = layer.params.find(role);
  if (it == layer.params.end()) fail_layer(layer, fmt::format("missing weight tensor '{}'", role));
  const Tensor& t = it->second;
  if (t.dims != want) {
    fail_layer(layer, fmt::format("weight '{}' has shape [{}], expected [{}]", role,
                                  fmt::join(t.dims, ", "), fmt::join(want, ", ")));
  }
  std::size_t count = 1;
  for (auto d : t.dims) count *= static_cast<std::size_t>(d);
  if (count != t.values.size()) {
    fail_layer(layer, fmt::format("weight '{}' holds {} values for shape [{}]", role,
                                  t.values.size(), fmt::join(t.dims, ", ")));
  }
}

Shape Op::define(DefinitionContext& ctx) const {
  return ctx.input;  // ops without keys or parameters keep the shape
}

void Op::build_training(TrainingBuilder& b, std::size_t layer) const {
  (void)b;
  (void)layer;
  throw InputError(fmt::format("op '{}' cannot be trained", name()));
}

Tensor zero_tensor(std::vector<std::int64_t> dims, float value) {
  std::size_t n = 1;
  for (const auto d : dims) n *= static_cast<std::size_t>(d);
  return Tensor{std::move(dims), std::vector<float>(n, value)};
}

void fill_uniform(Tensor& t, SplitMix64& rng, float limit) {
  for (auto& v : t.values) {
    const double u = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
    v = static_cast<float>((2.0 * u - 1.0) * limit);
  }
}

namespace {
// An int or a pair [a, b] as a pair.
std::optional<std::array<std::int64_t, 2>> pair_of(const toml::node& n) {
  if (const auto* i = n.as_integer()) return std::array<std::int64_t, 2>{i->get(), i->get()};
  if (const auto* a = n.as_array();
      a && a->size() == 2 && a->get(0)->is_integer() && a->get(1)->is_integer()) {
    return std::array<std::int64_t, 2>{a->get(0)->as_integer()->get(),
                                       a->get(1)->as_integer()->get()};
  }
  return std::nullopt;
}
}  // namespace

void read_window(DefinitionContext& ctx, bool stride_defaults_to_kernel) {
  auto& r = ctx.reader;
  auto& t = ctx.table;
  Layer& layer = ctx.layer;
  // A kernel or stride in error (already reported) reads as 1, so that the shapes of the
  // layers after it stay defined and their own mistakes are reported too.
  layer.kernel = {1, 1};
  const auto* kernel_node = r.node(t, "kernel", true);
  if (kernel_node != nullptr) {
    if (const auto p = pair_of(*kernel_node); p && (*p)[0] > 0 && (*p)[1] > 0)
      layer.kernel = *p;
    else
      r.error(kernel_node->source(), t.path + ".kernel", "expected a positive integer or [kh, kw]",
              show(*kernel_node));
  }
  layer.stride = stride_defaults_to_kernel ? layer.kernel : std::array<std::int64_t, 2>{1, 1};
  if (const auto* n = r.node(t, "stride", false)) {
    if (const auto p = pair_of(*n); p && (*p)[0] > 0 && (*p)[1] > 0)
      layer.stride = *p;
    else
      r.error(n->source(), t.path + ".stride", "expected a positive integer or [sh, sw]", show(*n));
  }
  std::string padding = "valid";
  if (auto v = r.string(t, "padding", false, {"valid", "same"})) padding = *v;
  const Shape& in = ctx.input;
  if (in.size() == 3 && padding == "same") {
    for (int d = 0; d < 2; ++d) {
      const std::int64_t size = in[static_cast<std::size_t>(d) + 1];
      const std::int64_t outd = (size + layer.stride[d] - 1) / layer.stride[d];
      const std::int64_t total =
          std::max<std::int64_t>((outd - 1) * layer.stride[d] + layer.kernel[d] - size, 0);
      layer.padding[d] = total / 2;
      layer.padding[d + 2] = total - total / 2;
    }
  }
  for (std::size_t d = 0; in.size() == 3 && d < 2; ++d) {
    const std::int64_t padded = in[d + 1] + layer.padding[d] + layer.padding[d + 2];
    if (layer.kernel[d] > padded) {
      r.error(
          kernel_node != nullptr ? kernel_node->source() : t.table->source(), t.path + ".kernel",
          fmt::format("kernel {} is larger than the (padded) input {}", layer.kernel[d], padded));
      layer.kernel[d] = padded;
    }
  }
}

std::int64_t window_output(const Layer& layer, std::int64_t in, int axis) {
  const auto a = static_cast<std::size_t>(axis);
  return (in + layer.padding[a] + layer.padding[a + 2] - layer.kernel[a]) / layer.stride[a] + 1;
}

std::int64_t checked_window_output(const Layer& layer, std::int64_t in, int axis) {
  const auto a = static_cast<std::size_t>(axis);
  const auto k = layer.kernel[a];
  const auto s = layer.stride[a];
  const auto pad = layer.padding[a] + layer.padding[a + 2];
  if (k <= 0 || s <= 0) fail_layer(layer, "kernel and stride must be positive");
  const auto span = in + pad - k;
  if (span < 0)
    fail_layer(layer, fmt::format("kernel {} larger than padded input {}", k, in + pad));
  return span / s + 1;
}

}  // namespace weightfault::nn
