// fault_list: replays an explicit list of faults from a CSV file, to reproduce
// a case or to cross-check against other tools. The header names the form:
//   tensor,element,bit[,kind]                   e.g. dense_1/kernel,4711,30,flip
//   channel,rank,bank,row,column,bit[,kind]     a physical bit
// kind is flip (default), stuck_at_0 or stuck_at_1. Lines starting with # and
// blank lines are skipped. Tensor names are "<layer>/kernel" and "<layer>/bias".
#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "common/input_error.h"
#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    const auto first = cell.find_first_not_of(" \t\r");
    const auto last = cell.find_last_not_of(" \t\r");
    out.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  return out;
}

struct PhysicalEntry {
  PhysicalAddress address;
  FaultKind kind;
  int line;
};

class FaultList final : public FaultModel {
 public:
  explicit FaultList(const std::string& path) : path_(path) { parse(); }

  void generate(const FaultModelContext& ctx, Rng&, FaultMap& sink) const override {
    const Geometry& g = ctx.mapping.geometry();
    for (const auto& e : physical_) {
      for (int f = 0; f < kFieldCount; ++f) {
        const auto field = static_cast<Field>(f);
        if (e.address.get(field) >= g.size(field)) {
          throw InputError(fmt::format("{}:{}: {} {} is outside the memory (0..{})", path_, e.line,
                                       to_string(field), e.address.get(field), g.size(field) - 1));
        }
      }
      sink.add(
          BitFault{ctx.mapping.to_linear(e.address), e.kind, ctx.model_index, ctx.t0_s, kNever});
    }
    for (auto f : logical_) {
      f.model = ctx.model_index;
      sink.add(f);
    }
  }

  double expected_faults(const FaultModelContext&) const override {
    return static_cast<double>(physical_.size() + logical_.size());
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw InputError(fmt::format("{}:{}: {}", path_, line, what));
  }

  std::uint64_t number(const std::string& cell, int line, const std::string& column) const {
    std::uint64_t v = 0;
    const auto r = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (r.ec != std::errc() || r.ptr != cell.data() + cell.size()) {
      fail(line, fmt::format("{}: expected a non-negative integer; got '{}'", column, cell));
    }
    return v;
  }

  FaultKind kind_of(const std::string& cell, int line) const {
    if (cell == "flip") return FaultKind::flip;
    if (cell == "stuck_at_0") return FaultKind::stuck_at_0;
    if (cell == "stuck_at_1") return FaultKind::stuck_at_1;
    fail(line, fmt::format("kind: expected one of flip, stuck_at_0, stuck_at_1; got '{}'", cell));
  }

  void parse() {
    std::ifstream in(path_);
    if (!in) throw InputError(fmt::format("{}: fault list file not found", path_));
    std::string text;
    std::vector<std::string> header;
    int line = 0;
    while (std::getline(in, text)) {
      ++line;
      // A UTF-8 byte-order mark (spreadsheet exports) is not part of the header.
      if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
      if (text.find_first_not_of(" \t\r") == std::string::npos || text[0] == '#') continue;
      const auto cells = split_csv(text);
      if (header.empty()) {
        header = cells;
        const std::vector<std::string> logical{"tensor", "element", "bit"};
        const std::vector<std::string> physical{"channel", "rank", "bank", "row", "column", "bit"};
        const auto starts = [&](const std::vector<std::string>& want) {
          return (header.size() == want.size() ||
                  (header.size() == want.size() + 1 && header.back() == "kind")) &&
                 std::equal(want.begin(), want.end(), header.begin());
        };
        if (starts(logical))
          logical_form_ = true;
        else if (!starts(physical)) {
          fail(line, fmt::format("header '{}': expected 'tensor,element,bit[,kind]' or "
                                 "'channel,rank,bank,row,column,bit[,kind]'",
                                 text));
        }
        continue;
      }
      if (cells.size() != header.size()) {
        fail(line, fmt::format("expected {} columns, got {}", header.size(), cells.size()));
      }
      const FaultKind kind =
          header.back() == "kind" ? kind_of(cells.back(), line) : FaultKind::flip;
      if (logical_form_) {
        if (cells[0].empty()) fail(line, "tensor: empty name");
        const auto bit = number(cells[2], line, "bit");
        if (bit > 63) fail(line, fmt::format("bit: expected 0..63; got '{}'", cells[2]));
        logical_.push_back({cells[0], number(cells[1], line, "element"),
                            static_cast<std::uint32_t>(bit), kind, 0});
      } else {
        PhysicalEntry e{{}, kind, line};
        for (int f = 0; f < kFieldCount; ++f) {
          e.address.set(static_cast<Field>(f), number(cells[static_cast<std::size_t>(f)], line,
                                                      header[static_cast<std::size_t>(f)]));
        }
        physical_.push_back(e);
      }
    }
    if (header.empty())
      throw InputError(fmt::format("{}: empty fault list (no header line)", path_));
  }

  std::string path_;
  bool logical_form_ = false;
  std::vector<LogicalFault> logical_;
  std::vector<PhysicalEntry> physical_;
};

}  // namespace

FaultModelInfo fault_list_info() {
  return {"fault_list",
          "replay an explicit CSV list of faults (tensor/element/bit or physical address)",
          {text_param("file",
                      "CSV file: header 'tensor,element,bit[,kind]' or "
                      "'channel,rank,bank,row,column,bit[,kind]'")},
          [](const ParamValues& v) { return std::make_unique<FaultList>(v.text("file")); },
          false};
}

}  // namespace weightfault::memory
