// `weightfault report`: summaries of a results file, recomputed from its
// per-trial data (so a killed run's file reports its finished trials).
#pragma once

#include <filesystem>
#include <string>

namespace weightfault::sim {

// format: "table", "csv" or "json". Throws InputError for an unreadable file.
std::string report_results(const std::filesystem::path& path, const std::string& format);

}  // namespace weightfault::sim
