// IEEE 754 binary16 <-> float conversions (round to nearest even, subnormals, Inf,
// NaN): the fp16 dtype stores weights with them, the ONNX import reads float16
// constants with them.
#pragma once

#include <cstdint>

namespace weightfault {

std::uint16_t float_to_fp16(float value);
float fp16_to_float(std::uint16_t bits);

}  // namespace weightfault
