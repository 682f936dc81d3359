#include "nn/onnx_constant_folding.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "common/binary16.h"

namespace weightfault::nn {
namespace {

std::int64_t volume(const std::vector<std::int64_t>& dims) {
  std::int64_t v = 1;
  for (auto d : dims) v *= d;
  return v;
}

template <typename T>
std::vector<double> raw_values(const std::string& raw) {
  std::vector<double> out(raw.size() / sizeof(T));
  for (std::size_t k = 0; k < out.size(); ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
    out[k] = static_cast<double>(v);
  }
  return out;
}

double half_to_double(std::uint16_t bits) {
  return static_cast<double>(fp16_to_float(bits));
}
double bfloat_to_double(std::uint16_t bits) {
  return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16));
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* a = attribute(node, name);
  return a ? a->i() : fallback;
}

std::vector<std::int64_t> ints_of(const OnnxConstant* c) {
  std::vector<std::int64_t> out;
  if (c == nullptr) return out;
  for (double v : c->values) out.push_back(static_cast<std::int64_t>(v));
  return out;
}

std::vector<std::int64_t> axes_of(const onnx::NodeProto& node,
                                  const std::vector<const OnnxConstant*>& in, int opset) {
  if (opset >= 13 && in.size() > 1) return ints_of(in[1]);
  const auto* a = attribute(node, "axes");
  return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end())
           : std::vector<std::int64_t>{};
}

std::int64_t normalized_axis(std::int64_t axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
}

// Numpy broadcasting of several inputs: the output dims and, per input, the source index
// of each output element.
std::vector<std::int64_t> broadcast_dims(const std::vector<const OnnxConstant*>& in) {
  std::size_t rank = 0;
  for (const auto* c : in) rank = std::max(rank, c->dims.size());
  std::vector<std::int64_t> out(rank, 1);
  for (const auto* c : in) {
    for (std::size_t d = 0; d < c->dims.size(); ++d) {
      auto& o = out[rank - c->dims.size() + d];
      const auto v = c->dims[d];
      if (o == 1)
        o = v;
      else if (v != 1 && v != o)
        throw std::invalid_argument("shapes do not broadcast");
    }
  }
  return out;
}

double broadcast_at(const OnnxConstant& c, const std::vector<std::int64_t>& out_dims,
                    std::int64_t flat) {
  std::int64_t index = 0, stride = 1;
  const std::size_t rank = out_dims.size(), crank = c.dims.size();
  for (std::size_t d = rank; d-- > 0;) {
    const std::int64_t coord = flat % out_dims[d];
    flat /= out_dims[d];
    if (d + crank < rank) continue;
    const auto cd = c.dims[d + crank - rank];
    if (cd != 1) index += coord * stride;
    stride *= cd;
  }
  return c.values.at(static_cast<std::size_t>(index));
}

OnnxConstant elementwise(const std::vector<const OnnxConstant*>& in,
                         const std::function<double(const std::vector<double>&)>& f,
                         bool is_float) {
  OnnxConstant out;
  out.dims = broadcast_dims(in);
  out.is_float = is_float;
  const auto n = volume(out.dims);
  out.values.resize(static_cast<std::size_t>(n));
  std::vector<double> args(in.size());
  for (std::int64_t k = 0; k < n; ++k) {
    for (std::size_t a = 0; a < in.size(); ++a) args[a] = broadcast_at(*in[a], out.dims, k);
    out.values[static_cast<std::size_t>(k)] = f(args);
  }
  return out;
}

OnnxConstant gather(const onnx::NodeProto& node, const OnnxConstant& data,
                    const OnnxConstant& indices) {
  const auto axis = normalized_axis(attr_int(node, "axis", 0), data.dims.size());
  if (axis < 0 || axis >= static_cast<std::int64_t>(data.dims.size()))
    throw std::invalid_argument("axis out of range");
  const auto a = static_cast<std::size_t>(axis);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= data.dims[d];
  for (std::size_t d = a + 1; d < data.dims.size(); ++d) inner *= data.dims[d];
  OnnxConstant out;
  out.is_float = data.is_float;
  out.dims.assign(data.dims.begin(), data.dims.begin() + axis);
  out.dims.insert(out.dims.end(), indices.dims.begin(), indices.dims.end());
  out.dims.insert(out.dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  for (std::int64_t o = 0; o < outer; ++o)
    for (double iv : indices.values) {
      auto i = static_cast<std::int64_t>(iv);
      if (i < 0) i += data.dims[a];
      for (std::int64_t k = 0; k < inner; ++k)
        out.values.push_back(
            data.values.at(static_cast<std::size_t>((o * data.dims[a] + i) * inner + k)));
    }
  return out;
}

OnnxConstant concat(const onnx::NodeProto& node, const std::vector<const OnnxConstant*>& in) {
  const auto rank = in.at(0)->dims.size();
  const auto axis = static_cast<std::size_t>(normalized_axis(attr_int(node, "axis", 0), rank));
  OnnxConstant out;
  out.is_float = in[0]->is_float;
  out.dims = in[0]->dims;
  out.dims[axis] = 0;
  for (const auto* c : in) out.dims[axis] += c->dims.at(axis);
  std::int64_t outer = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= out.dims[d];
  for (std::int64_t o = 0; o < outer; ++o)
    for (const auto* c : in) {
      const auto chunk = volume(c->dims) / std::max<std::int64_t>(outer, 1);
      for (std::int64_t k = 0; k < chunk; ++k)
        out.values.push_back(c->values.at(static_cast<std::size_t>(o * chunk + k)));
    }
  return out;
}

OnnxConstant slice(const std::vector<const OnnxConstant*>& in) {
  const auto& data = *in.at(0);
  if (data.dims.size() != 1) throw std::invalid_argument("only 1-D constant slices");
  const auto starts = ints_of(in.at(1)), ends = ints_of(in.at(2));
  const auto steps = in.size() > 4 ? ints_of(in[4]) : std::vector<std::int64_t>{1};
  const std::int64_t n = data.dims[0];
  auto clampi = [&](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
  const std::int64_t step = steps.empty() ? 1 : steps[0];
  if (step <= 0) throw std::invalid_argument("only positive slice steps");
  OnnxConstant out;
  out.is_float = data.is_float;
  for (std::int64_t k = clampi(starts.at(0)); k < clampi(ends.at(0)); k += step)
    out.values.push_back(data.values[static_cast<std::size_t>(k)]);
  out.dims = {static_cast<std::int64_t>(out.values.size())};
  return out;
}

}  // namespace

OnnxConstant to_constant(const onnx::TensorProto& t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw std::invalid_argument(
        fmt::format("tensor '{}': external data is not supported", t.name()));
  OnnxConstant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  const auto type = t.data_type();
  const std::string& raw = t.raw_data();
  using TP = onnx::TensorProto;
  c.is_float =
      type == TP::FLOAT || type == TP::DOUBLE || type == TP::FLOAT16 || type == TP::BFLOAT16;
  switch (type) {
    case TP::FLOAT:
      c.values = raw.empty() ? std::vector<double>(t.float_data().begin(), t.float_data().end())
                             : raw_values<float>(raw);
      break;
    case TP::DOUBLE:
      c.values = raw.empty() ? std::vector<double>(t.double_data().begin(), t.double_data().end())
                             : raw_values<double>(raw);
      break;
    case TP::INT64:
      c.values = raw.empty() ? std::vector<double>(t.int64_data().begin(), t.int64_data().end())
                             : raw_values<std::int64_t>(raw);
      break;
    case TP::INT32:
      c.values = raw.empty() ? std::vector<double>(t.int32_data().begin(), t.int32_data().end())
                             : raw_values<std::int32_t>(raw);
      break;
    case TP::INT8:
    case TP::UINT8:
    case TP::BOOL:
    case TP::INT16:
    case TP::UINT16:
    case TP::FLOAT16:
    case TP::BFLOAT16: {
      std::vector<double> v;
      if (!raw.empty()) {
        if (type == TP::INT8)
          v = raw_values<std::int8_t>(raw);
        else if (type == TP::UINT8 || type == TP::BOOL)
          v = raw_values<std::uint8_t>(raw);
        else if (type == TP::INT16)
          v = raw_values<std::int16_t>(raw);
        else
          v = raw_values<std::uint16_t>(raw);
      } else {
        v.assign(t.int32_data().begin(), t.int32_data().end());
      }
      if (type == TP::FLOAT16)
        for (auto& x : v) x = half_to_double(static_cast<std::uint16_t>(x));
      if (type == TP::BFLOAT16)
        for (auto& x : v) x = bfloat_to_double(static_cast<std::uint16_t>(x));
      c.values = std::move(v);
      break;
    }
    case TP::UINT32:
    case TP::UINT64:
      c.values = raw.empty() ? std::vector<double>(t.uint64_data().begin(), t.uint64_data().end())
                 : type == TP::UINT32 ? raw_values<std::uint32_t>(raw)
                                      : raw_values<std::uint64_t>(raw);
      break;
    default:
      throw std::invalid_argument(
          fmt::format("tensor '{}': data type {} is not supported", t.name(), type));
  }
  if (static_cast<std::int64_t>(c.values.size()) != volume(c.dims))
    throw std::invalid_argument(fmt::format("tensor '{}': {} values for shape of {}", t.name(),
                                            c.values.size(), volume(c.dims)));
  return c;
}

const std::vector<std::string>& foldable_onnx_ops() {
  static const std::vector<std::string> ops{"Identity", "Cast",   "Gather",  "Unsqueeze",
                                            "Squeeze",  "Concat", "Add",     "Sub",
                                            "Mul",      "Div",    "Pow",     "Sqrt",
                                            "Equal",    "Where",  "Reshape", "ConstantOfShape",
                                            "Slice",    "Range",  "Neg",     "Expand",
                                            "Transpose"};
  return ops;
}

bool is_foldable(const std::string& op_type) {
  const auto& ops = foldable_onnx_ops();
  return std::find(ops.begin(), ops.end(), op_type) != ops.end();
}

std::vector<OnnxConstant> fold_constant(const onnx::NodeProto& node,
                                        const std::vector<const OnnxConstant*>& in, int opset) {
  const auto& op = node.op_type();
  const auto arg = [&](std::size_t k) -> const OnnxConstant& {
    if (k >= in.size() || in[k] == nullptr) throw std::invalid_argument("missing input");
    return *in[k];
  };
  if (op == "Identity") return {arg(0)};
  if (op == "Cast") {
    OnnxConstant out = arg(0);
    const auto to = attr_int(node, "to", onnx::TensorProto::FLOAT);
    out.is_float = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
                   to == onnx::TensorProto::FLOAT16;
    if (!out.is_float)
      for (auto& v : out.values) v = std::trunc(v);
    return {out};
  }
  if (op == "Neg")
    return {elementwise(
        {&arg(0)}, [](const auto& a) { return -a[0]; }, arg(0).is_float)};
  if (op == "Sqrt")
    return {elementwise(
        {&arg(0)}, [](const auto& a) { return std::sqrt(a[0]); }, true)};
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Equal") {
    const bool is_float = arg(0).is_float || arg(1).is_float;
    return {elementwise(
        {&arg(0), &arg(1)},
        [&](const auto& a) {
          if (op == "Add") return a[0] + a[1];
          if (op == "Sub") return a[0] - a[1];
          if (op == "Mul") return a[0] * a[1];
          if (op == "Pow") return std::pow(a[0], a[1]);
          if (op == "Equal") return a[0] == a[1] ? 1.0 : 0.0;
          return is_float ? a[0] / a[1] : std::trunc(a[0] / a[1]);
        },
        op == "Equal" ? false : is_float)};
  }
  if (op == "Where")
    return {elementwise(
        {&arg(0), &arg(1), &arg(2)}, [](const auto& a) { return a[0] != 0.0 ? a[1] : a[2]; },
        arg(1).is_float)};
  if (op == "Gather") return {gather(node, arg(0), arg(1))};
  if (op == "Concat") return {concat(node, in)};
  if (op == "Unsqueeze" || op == "Squeeze") {
    OnnxConstant out = arg(0);
    auto axes = axes_of(node, in, opset);
    if (op == "Unsqueeze") {
      const auto rank = out.dims.size() + axes.size();
      for (auto& a : axes) a = normalized_axis(a, rank);
      std::sort(axes.begin(), axes.end());
      for (auto a : axes) out.dims.insert(out.dims.begin() + a, 1);
    } else {
      const auto rank = out.dims.size();
      std::vector<std::int64_t> kept;
      for (std::size_t d = 0; d < rank; ++d) {
        const bool listed =
            axes.empty() ? out.dims[d] == 1 : std::any_of(axes.begin(), axes.end(), [&](auto a) {
              return normalized_axis(a, rank) == static_cast<std::int64_t>(d);
            });
        if (!listed) kept.push_back(out.dims[d]);
      }
      out.dims = kept;
    }
    return {out};
  }
  if (op == "Reshape") {
    OnnxConstant out = arg(0);
    auto shape = ints_of(&arg(1));
    std::int64_t known = 1;
    int infer = -1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0) shape[d] = arg(0).dims.at(d);
      if (shape[d] == -1)
        infer = static_cast<int>(d);
      else
        known *= shape[d];
    }
    if (infer >= 0) shape[static_cast<std::size_t>(infer)] = volume(arg(0).dims) / known;
    out.dims = shape;
    return {out};
  }
  if (op == "ConstantOfShape") {
    OnnxConstant out;
    out.dims = ints_of(&arg(0));
    double value = 0.0;
    out.is_float = true;
    if (const auto* a = attribute(node, "value"); a && a->has_t()) {
      const auto v = to_constant(a->t());
      value = v.values.at(0);
      out.is_float = v.is_float;
    }
    out.values.assign(static_cast<std::size_t>(volume(out.dims)), value);
    return {out};
  }
  if (op == "Slice") return {slice(in)};
  if (op == "Expand") {
    // Broadcast to the shape: an axis of 1 in the shape keeps the input's size.
    OnnxConstant shape;
    shape.dims = ints_of(&arg(1));
    shape.values.assign(static_cast<std::size_t>(volume(shape.dims)), 0.0);
    return {elementwise(
        {&arg(0), &shape}, [](const auto& a) { return a[0]; }, arg(0).is_float)};
  }
  if (op == "Transpose") {
    const auto& x = arg(0);
    const std::size_t rank = x.dims.size();
    std::vector<std::int64_t> perm;
    if (const auto* a = attribute(node, "perm"))
      perm.assign(a->ints().begin(), a->ints().end());
    else
      for (std::size_t d = rank; d-- > 0;) perm.push_back(static_cast<std::int64_t>(d));
    if (perm.size() != rank) throw std::invalid_argument("perm does not match the rank");
    OnnxConstant out;
    out.is_float = x.is_float;
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * x.dims[d];
    for (const auto p : perm) out.dims.push_back(x.dims.at(static_cast<std::size_t>(p)));
    const auto n = volume(out.dims);
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t rest = k, from = 0;
      for (std::size_t d = rank; d-- > 0;) {
        from += (rest % out.dims[d]) * in_strides[static_cast<std::size_t>(perm[d])];
        rest /= out.dims[d];
      }
      out.values.push_back(x.values.at(static_cast<std::size_t>(from)));
    }
    return {out};
  }
  if (op == "Range") {
    OnnxConstant out;
    const double start = arg(0).values.at(0), limit = arg(1).values.at(0),
                 delta = arg(2).values.at(0);
    if (delta == 0.0) throw std::invalid_argument("Range with delta 0");
    for (double v = start; delta > 0 ? v < limit : v > limit; v += delta) out.values.push_back(v);
    out.dims = {static_cast<std::int64_t>(out.values.size())};
    out.is_float = arg(0).is_float;
    return {out};
  }
  throw std::invalid_argument(fmt::format("cannot evaluate {} at import", op));
}

}  // namespace weightfault::nn
