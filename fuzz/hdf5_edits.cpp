#include "fuzz/hdf5_edits.h"

#include <hdf5.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

namespace weightfault::fuzz {
namespace {

struct Attribute {
  std::string object;  // path of the object holding it
  std::string name;
};

struct Inventory {
  std::vector<std::string> objects;   // "." and every group and dataset
  std::vector<std::string> datasets;  // every dataset
  std::vector<Attribute> attributes;
};

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  auto* pair = static_cast<std::pair<Inventory*, std::string>*>(data);
  pair->first->attributes.push_back({pair->second, name});
  return 0;
}

herr_t collect_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  auto* inventory = static_cast<Inventory*>(data);
  inventory->objects.push_back(name);
  if (info->type == H5O_TYPE_DATASET) inventory->datasets.push_back(name);
  const hid_t object = H5Oopen(root, name, H5P_DEFAULT);
  if (object < 0) return 0;
  std::pair<Inventory*, std::string> pair{inventory, name};
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect_attribute, &pair);
  H5Oclose(object);
  return 0;
}

template <typename T>
const T& pick(const std::vector<T>& items, ByteSource& in) {
  return items[in.in_range(0, items.size() - 1)];
}

// A random shape: rank 0..3, each extent 0..6 (small: readers must reject, not allocate).
std::vector<hsize_t> any_shape(ByteSource& in) {
  std::vector<hsize_t> dims(in.in_range(0, 3));
  for (auto& d : dims) d = in.in_range(0, 6);
  return dims;
}

hsize_t element_count(const std::vector<hsize_t>& dims) {
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

// One of the element types our files use, or a string.
hid_t any_type(ByteSource& in) {
  switch (in.in_range(0, 5)) {
    case 0:
      return H5Tcopy(H5T_IEEE_F32LE);
    case 1:
      return H5Tcopy(H5T_IEEE_F64LE);
    case 2:
      return H5Tcopy(H5T_STD_I64LE);
    case 3:
      return H5Tcopy(H5T_STD_U8LE);
    case 4:
      return H5Tcopy(H5T_STD_I32LE);
    default: {
      const hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, in.in_range(1, 12));
      return t;
    }
  }
}

// A value of any type and shape, with the input's bytes: (type, dataspace, bytes).
std::tuple<hid_t, hid_t, std::vector<std::uint8_t>> any_value(ByteSource& in) {
  const hid_t type = any_type(in);
  const auto dims = any_shape(in);
  const hid_t space = dims.empty()
                          ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  return {type, space, in.bytes(element_count(dims) * H5Tget_size(type))};
}

void write_attribute(hid_t object, const std::string& name, ByteSource& in) {
  if (in.in_range(0, 2) == 0) {  // a variable-length string, as our writers use
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hid_t space = H5Screate(H5S_SCALAR);
    const std::string text = in.text(24);
    const char* ptr = text.c_str();
    const hid_t a = H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
      H5Awrite(a, type, &ptr);
      H5Aclose(a);
    }
    H5Sclose(space);
    H5Tclose(type);
    return;
  }
  const auto [type, space, bytes] = any_value(in);
  const hid_t a = H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    if (!bytes.empty()) H5Awrite(a, type, bytes.data());
    H5Aclose(a);
  }
  H5Sclose(space);
  H5Tclose(type);
}

void write_dataset(hid_t file, const std::string& path, ByteSource& in) {
  const auto [type, space, bytes] = any_value(in);
  const hid_t d =
      H5Dcreate2(file, path.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0) {
    if (!bytes.empty()) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    H5Dclose(d);
  }
  H5Sclose(space);
  H5Tclose(type);
}

// Any bits in place of a dataset's values (NaN, Inf, huge, negative...), same type and shape.
void refill_dataset(hid_t file, const std::string& path, ByteSource& in) {
  const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (d < 0) return;
  const hid_t type = H5Dget_type(d);
  const hid_t space = H5Dget_space(d);
  const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  if (H5Tis_variable_str(type) <= 0 && count > 0 && count < (1u << 22)) {
    const std::size_t size = H5Tget_size(type);
    std::vector<std::uint8_t> values(count * size);
    H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    // A few elements get the input's bits; the rest keep theirs (a model stays a model).
    for (auto edits = in.in_range(1, 4); edits > 0; --edits) {
      const auto at = in.in_range(0, count - 1) * size;
      const auto bits = in.bytes(size);
      std::memcpy(values.data() + at, bits.data(), size);
    }
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(d);
}

// A scalar string attribute's text; empty for anything else.
std::string read_string_attribute(hid_t a) {
  const hid_t type = H5Aget_type(a);
  const hid_t space = H5Aget_space(a);
  std::string out;
  if (H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
    if (H5Tis_variable_str(type) > 0) {
      char* ptr = nullptr;
      const hid_t mem = H5Tcopy(H5T_C_S1);
      H5Tset_size(mem, H5T_VARIABLE);
      if (H5Aread(a, mem, &ptr) >= 0 && ptr != nullptr) {
        out = ptr;
        H5free_memory(ptr);
      }
      H5Tclose(mem);
    } else {
      out.resize(H5Tget_size(type));
      H5Aread(a, type, out.data());
    }
  }
  H5Sclose(space);
  H5Tclose(type);
  return out;
}

nlohmann::json any_json(ByteSource& in) {
  switch (in.in_range(0, 7)) {
    case 0:
      return nullptr;
    case 1:
      return static_cast<std::int64_t>(in.in_range(0, 1u << 20)) - (1 << 10);
    case 2:
      return -1;
    case 3:
      return 4294967296.5;
    case 4:
      return in.text(8);
    case 5:
      return nlohmann::json::array({0, 1});
    case 6:
      return nlohmann::json::object();
    default:
      return in.in_range(0, 1) == 1;
  }
}

// Every node of a JSON tree, as pointers.
void json_nodes(nlohmann::json& j, std::vector<nlohmann::json*>& out) {
  out.push_back(&j);
  if (j.is_structured())
    for (auto& child : j) json_nodes(child, out);
}

// Replaces one node of a JSON text attribute (Keras's model_config) or drops an object key.
bool edit_json_attribute(hid_t file, const Attribute& attribute, ByteSource& in) {
  const hid_t object = H5Oopen(file, attribute.object.c_str(), H5P_DEFAULT);
  if (object < 0) return false;
  const hid_t a = H5Aopen(object, attribute.name.c_str(), H5P_DEFAULT);
  bool edited = false;
  if (a >= 0) {
    const auto parsed = nlohmann::json::parse(read_string_attribute(a), nullptr, false);
    H5Aclose(a);
    if (!parsed.is_discarded() && parsed.is_structured()) {
      auto config = parsed;
      std::vector<nlohmann::json*> nodes;
      json_nodes(config, nodes);
      auto& node = *nodes[in.in_range(0, nodes.size() - 1)];
      if (node.is_object() && !node.empty() && in.in_range(0, 1) == 0) {
        auto key = node.begin();
        std::advance(key, static_cast<long>(in.in_range(0, node.size() - 1)));
        node.erase(key);
      } else {
        node = any_json(in);
      }
      const std::string text = config.dump();
      H5Adelete(object, attribute.name.c_str());
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, text.size() + 1);
      const hid_t space = H5Screate(H5S_SCALAR);
      const hid_t b =
          H5Acreate2(object, attribute.name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      if (b >= 0) {
        H5Awrite(b, type, text.c_str());
        H5Aclose(b);
      }
      H5Sclose(space);
      H5Tclose(type);
      edited = true;
    }
  }
  H5Oclose(object);
  return edited;
}

}  // namespace

std::filesystem::path source_file(const std::string& relative) {
  return std::filesystem::path(WEIGHTFAULT_SOURCE_DIR) / relative;
}

void write_edited_hdf5(const std::vector<std::filesystem::path>& bases,
                       const std::filesystem::path& out, ByteSource& in) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const auto& base = pick(bases, in);
  std::filesystem::copy_file(base, out, std::filesystem::copy_options::overwrite_existing);
  const hid_t file = H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return;
  Inventory inv;
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect_object, &inv, H5O_INFO_BASIC);
  // Attribute names seen anywhere: re-adding one elsewhere tests a reader's assumptions.
  std::vector<std::string> names{"x"};
  for (const auto& a : inv.attributes) names.push_back(a.name);

  for (auto edits = in.in_range(1, 6); edits > 0 && !in.empty(); --edits) {
    switch (in.in_range(0, 6)) {
      case 0:
        if (!inv.attributes.empty()) {
          const auto& a = pick(inv.attributes, in);
          H5Adelete_by_name(file, a.object.c_str(), a.name.c_str(), H5P_DEFAULT);
        }
        break;
      case 1:
        if (!inv.attributes.empty()) {
          const auto& a = pick(inv.attributes, in);
          const hid_t object = H5Oopen(file, a.object.c_str(), H5P_DEFAULT);
          if (object >= 0) {
            H5Adelete(object, a.name.c_str());
            write_attribute(object, a.name, in);
            H5Oclose(object);
          }
        }
        break;
      case 2:
        if (!inv.datasets.empty()) H5Ldelete(file, pick(inv.datasets, in).c_str(), H5P_DEFAULT);
        break;
      case 3:
        if (!inv.datasets.empty()) {
          const auto& path = pick(inv.datasets, in);
          H5Ldelete(file, path.c_str(), H5P_DEFAULT);
          write_dataset(file, path, in);
        }
        break;
      case 4:
        if (!inv.datasets.empty()) refill_dataset(file, pick(inv.datasets, in), in);
        break;
      case 5: {
        const hid_t object = H5Oopen(file, pick(inv.objects, in).c_str(), H5P_DEFAULT);
        if (object >= 0) {
          const auto& name = pick(names, in);
          if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
          write_attribute(object, name, in);
          H5Oclose(object);
        }
        break;
      }
      default:
        if (!inv.attributes.empty()) edit_json_attribute(file, pick(inv.attributes, in), in);
        break;
    }
  }
  H5Fclose(file);
}

}  // namespace weightfault::fuzz
