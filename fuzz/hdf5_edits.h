// Structure-aware fuzzing of our HDF5 readers: a valid base file (a shipped
// model, a Keras file, a results file) is copied and edited by the fuzz input --
// attributes and datasets dropped, retyped, reshaped, refilled with any bits,
// JSON attributes edited node by node. The result is always a well-formed HDF5
// file, so the fuzzers test what our readers make of its content, not the HDF5
// library's own parser of corrupt bytes (docs/errors.md says why).
#pragma once

#include <filesystem>
#include <vector>

#include "fuzz/fuzz_input.h"

namespace weightfault::fuzz {

// Picks a base file with the input's first byte, copies it to `out` and applies
// the edits the rest of the input describes.
void write_edited_hdf5(const std::vector<std::filesystem::path>& bases,
                       const std::filesystem::path& out, ByteSource& input);

// The repository's file at `relative` (fuzz targets know the source tree).
std::filesystem::path source_file(const std::string& relative);

}  // namespace weightfault::fuzz
