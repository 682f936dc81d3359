#include "common/hdf5_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <memory>

#include "common/input_error.h"

namespace weightfault::h5 {
namespace {

// HDF5 prints its own error stack to stderr unless told not to; our messages
// replace it. Called before every file open (idempotent, not mutable state of ours).
void silence_hdf5_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::string child_path(const Object& parent, const std::string& name) {
  return parent.path() == "/" ? "/" + name : parent.path() + "/" + name;
}

// The cause of a failed write, when the system gave one: a full disk says so.
std::string system_cause(const std::string& file) {
  const int err = errno;
  std::error_code ec;
  const auto space = std::filesystem::space(std::filesystem::path(file).parent_path().empty()
                                                ? std::filesystem::path(".")
                                                : std::filesystem::path(file).parent_path(),
                                            ec);
  if (err == ENOSPC || (!ec && space.available < 64 * 1024))
    return fmt::format(" (disk full: {} bytes free)", ec ? 0 : space.available);
  return err != 0 ? fmt::format(" ({})", std::strerror(err)) : std::string();
}

[[noreturn]] void fail(const Object& obj, const std::string& what) {
  throw InputError(fmt::format("{}: {}", obj.where(), what));
}

// A failed write, create or flush: with its cause (errno was cleared before the call).
[[noreturn]] void fail_io(const Object& obj, const std::string& what) {
  throw InputError(fmt::format("{}: {}{}", obj.where(), what, system_cause(obj.file())));
}

Object open_attribute(const Object& obj, const std::string& name) {
  if (H5Aexists(obj.id(), name.c_str()) <= 0)
    fail(obj, fmt::format("missing attribute '{}'", name));
  const hid_t id = H5Aopen(obj.id(), name.c_str(), H5P_DEFAULT);
  if (id < 0) fail(obj, fmt::format("cannot open attribute '{}'", name));
  return {id, H5Aclose, obj.file(), obj.path() + "@" + name};
}

Object type_of(const Object& attr) {
  return {H5Aget_type(attr.id()), H5Tclose, attr.file(), attr.path()};
}

Object space_of_attribute(const Object& attr) {
  return {H5Aget_space(attr.id()), H5Sclose, attr.file(), attr.path()};
}

Object vlen_string_type(const Object& ctx) {
  Object type{H5Tcopy(H5T_C_S1), H5Tclose, ctx.file(), ctx.path()};
  H5Tset_size(type.id(), H5T_VARIABLE);
  H5Tset_cset(type.id(), H5T_CSET_UTF8);
  return type;
}

void write_attribute(const Object& obj, const std::string& name, hid_t file_type, hid_t mem_type,
                     const std::vector<hsize_t>& dims, const void* data) {
  if (H5Aexists(obj.id(), name.c_str()) > 0) H5Adelete(obj.id(), name.c_str());
  // An empty list is a null dataspace: HDF5 rejects zero-sized attribute extents.
  const hid_t space_id =
      dims.empty()   ? H5Screate(H5S_SCALAR)
      : dims[0] == 0 ? H5Screate(H5S_NULL)
                     : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  Object space{space_id, H5Sclose, obj.file(), obj.path()};
  Object attr{H5Acreate2(obj.id(), name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, obj.file(), obj.path() + "@" + name};
  const bool empty = !dims.empty() && dims[0] == 0;
  errno = 0;
  if (attr.id() < 0 || (!empty && H5Awrite(attr.id(), mem_type, data) < 0)) {
    fail_io(obj, fmt::format("cannot write attribute '{}'", name));
  }
}

}  // namespace

Object& Object::operator=(Object&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
    other.id_ = H5I_INVALID_HID;
    other.close_ = nullptr;
  }
  return *this;
}

void Object::reset() {
  if (id_ >= 0 && close_ != nullptr) close_(id_);
  id_ = H5I_INVALID_HID;
}

namespace {

// Files this program writes take no HDF5 file lock, so that readers (report, h5py) can
// open a results file while a run writes it without HDF5_USE_FILE_LOCKING=FALSE; two
// writers never share a file (common/output_file.h claims it).
Object unlocked_access() {
  Object fapl{H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "", "/"};
  H5Pset_file_locking(fapl.id(), false, true);
  return fapl;
}

}  // namespace

Object create_file(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const auto fapl = unlocked_access();
  errno = 0;
  const hid_t id = H5Fcreate(path.string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id());
  if (id < 0)
    throw InputError(
        fmt::format("{}: cannot create HDF5 file{}", path.string(), system_cause(path.string())));
  return {id, H5Fclose, path.string(), "/"};
}

Object open_file(const std::filesystem::path& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError(fmt::format("{}: file not found", path.string()));
  }
  if (H5Fis_hdf5(path.string().c_str()) <= 0) {
    throw InputError(fmt::format("{}: not an HDF5 file (or corrupt)", path.string()));
  }
  const hid_t id = H5Fopen(path.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw InputError(fmt::format("{}: cannot open HDF5 file", path.string()));
  return {id, H5Fclose, path.string(), "/"};
}

bool has_child(const Object& parent, const std::string& name) {
  return H5Lexists(parent.id(), name.c_str(), H5P_DEFAULT) > 0;
}

Object create_group(const Object& parent, const std::string& name) {
  errno = 0;
  const hid_t id = H5Gcreate2(parent.id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail_io(parent, fmt::format("cannot create group '{}'", name));
  return {id, H5Gclose, parent.file(), child_path(parent, name)};
}

Object open_group(const Object& parent, const std::string& name) {
  if (!has_child(parent, name)) fail(parent, fmt::format("missing group '{}'", name));
  const hid_t id = H5Gopen2(parent.id(), name.c_str(), H5P_DEFAULT);
  if (id < 0) fail(parent, fmt::format("'{}' is not a group", name));
  return {id, H5Gclose, parent.file(), child_path(parent, name)};
}

std::vector<std::string> child_names(const Object& group) {
  std::vector<std::string> names;
  auto visit = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  if (H5Literate(group.id(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &names) < 0) {
    fail(group, "cannot list members");
  }
  return names;
}

bool has_attribute(const Object& obj, const std::string& name) {
  return H5Aexists(obj.id(), name.c_str()) > 0;
}

void write_string_attribute(const Object& obj, const std::string& name, const std::string& value) {
  const Object type = vlen_string_type(obj);
  const char* ptr = value.c_str();
  write_attribute(obj, name, type.id(), type.id(), {}, &ptr);
}

void write_string_list_attribute(const Object& obj, const std::string& name,
                                 const std::vector<std::string>& values) {
  const Object type = vlen_string_type(obj);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  write_attribute(obj, name, type.id(), type.id(), {static_cast<hsize_t>(values.size())},
                  ptrs.data());
}

void write_int_attribute(const Object& obj, const std::string& name,
                         const std::vector<std::int64_t>& values) {
  write_attribute(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, {static_cast<hsize_t>(values.size())},
                  values.data());
}

void write_double_attribute(const Object& obj, const std::string& name, double value) {
  write_attribute(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
}

std::vector<std::string> read_string_list_attribute(const Object& obj, const std::string& name) {
  const Object attr = open_attribute(obj, name);
  const Object type = type_of(attr);
  const Object space = space_of_attribute(attr);
  const hssize_t count = H5Sget_simple_extent_npoints(space.id());
  if (count < 0) fail(attr, "cannot read its size");
  if (count == 0) return {};
  if (H5Tget_class(type.id()) != H5T_STRING) fail(attr, "expected a string attribute");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id()) > 0) {
    // Same character set as the file: HDF5 does not convert ASCII <-> UTF-8.
    const Object mem{H5Tcopy(type.id()), H5Tclose, attr.file(), attr.path()};
    std::vector<char*> ptrs(static_cast<std::size_t>(count), nullptr);
    if (H5Aread(attr.id(), mem.id(), ptrs.data()) < 0) fail(attr, "cannot read strings");
    for (char* p : ptrs) out.emplace_back(p != nullptr ? p : "");
    H5Dvlen_reclaim(mem.id(), space.id(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t size = H5Tget_size(type.id());
    std::vector<char> buf(size * static_cast<std::size_t>(count) + 1, '\0');
    Object mem{H5Tcopy(type.id()), H5Tclose, attr.file(), attr.path()};
    if (H5Aread(attr.id(), mem.id(), buf.data()) < 0) fail(attr, "cannot read strings");
    for (hssize_t i = 0; i < count; ++i) {
      const char* begin = buf.data() + static_cast<std::size_t>(i) * size;
      std::size_t len = 0;
      while (len < size && begin[len] != '\0') ++len;  // fixed strings may be null-padded
      out.emplace_back(begin, len);
    }
  }
  return out;
}

std::string read_string_attribute(const Object& obj, const std::string& name) {
  auto values = read_string_list_attribute(obj, name);
  if (values.size() != 1) {
    fail(obj, fmt::format("attribute '{}' should hold one string, holds {}", name, values.size()));
  }
  return values.front();
}

std::vector<std::int64_t> read_int_attribute(const Object& obj, const std::string& name) {
  const Object attr = open_attribute(obj, name);
  const Object type = type_of(attr);
  if (H5Tget_class(type.id()) != H5T_INTEGER) fail(attr, "expected an integer attribute");
  const Object space = space_of_attribute(attr);
  const hssize_t count = H5Sget_simple_extent_npoints(space.id());
  std::vector<std::int64_t> out(static_cast<std::size_t>(std::max<hssize_t>(count, 0)));
  if (!out.empty() && H5Aread(attr.id(), H5T_NATIVE_INT64, out.data()) < 0) {
    fail(attr, "cannot read integers");
  }
  return out;
}

double read_double_attribute(const Object& obj, const std::string& name) {
  const Object attr = open_attribute(obj, name);
  const Object type = type_of(attr);
  const Object space = space_of_attribute(attr);
  if (H5Tget_class(type.id()) != H5T_FLOAT || H5Sget_simple_extent_npoints(space.id()) != 1) {
    fail(attr, "expected one floating-point value");
  }
  double value = 0;
  if (H5Aread(attr.id(), H5T_NATIVE_DOUBLE, &value) < 0) fail(attr, "cannot read value");
  return value;
}

void write_float_dataset(const Object& parent, const std::string& name,
                         const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Object space{H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose,
               parent.file(), parent.path()};
  errno = 0;
  Object ds{H5Dcreate2(parent.id(), name.c_str(), H5T_IEEE_F32LE, space.id(), H5P_DEFAULT,
                       H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose, parent.file(), child_path(parent, name)};
  if (ds.id() < 0 ||
      H5Dwrite(ds.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    fail_io(parent, fmt::format("cannot write dataset '{}'", name));
  }
}

FloatArray read_float_dataset(const Object& parent, const std::string& name) {
  if (!has_child(parent, name)) fail(parent, fmt::format("missing dataset '{}'", name));
  Object ds{H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT), H5Dclose, parent.file(),
            child_path(parent, name)};
  if (ds.id() < 0) fail(parent, fmt::format("'{}' is not a dataset", name));
  Object type{H5Dget_type(ds.id()), H5Tclose, ds.file(), ds.path()};
  if (H5Tget_class(type.id()) != H5T_FLOAT) fail(ds, "expected a floating-point dataset");
  Object space{H5Dget_space(ds.id()), H5Sclose, ds.file(), ds.path()};
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail(ds, "cannot read its shape");
  std::vector<hsize_t> hdims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), hdims.data(), nullptr);
  FloatArray out;
  std::size_t count = 1;
  for (auto d : hdims) {
    out.dims.push_back(static_cast<std::int64_t>(d));
    count *= static_cast<std::size_t>(d);
  }
  out.values.resize(count);
  if (count > 0 &&
      H5Dread(ds.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    fail(ds, "cannot read data (corrupt file?)");
  }
  return out;
}

}  // namespace weightfault::h5

namespace weightfault::h5 {

Object create_dataset(const Object& parent, const std::string& name, hid_t file_type,
                      hid_t mem_type, const std::vector<std::uint64_t>& dims, const void* fill) {
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Object space{H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose,
               parent.file(), parent.path()};
  Object dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose, parent.file(), parent.path()};
  H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_ALLOC);
  H5Pset_fill_value(dcpl.id(), mem_type, fill);
  errno = 0;
  Object ds{H5Dcreate2(parent.id(), name.c_str(), file_type, space.id(), H5P_DEFAULT, dcpl.id(),
                       H5P_DEFAULT),
            H5Dclose, parent.file(), child_path(parent, name)};
  if (ds.id() < 0) fail_io(parent, fmt::format("cannot create dataset '{}'", name));
  return ds;
}

Object open_dataset(const Object& parent, const std::string& name) {
  if (!has_child(parent, name)) fail(parent, fmt::format("missing dataset '{}'", name));
  Object ds{H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT), H5Dclose, parent.file(),
            child_path(parent, name)};
  if (ds.id() < 0) fail(parent, fmt::format("'{}' is not a dataset", name));
  return ds;
}

std::vector<std::uint64_t> dataset_dims(const Object& dataset) {
  Object space{H5Dget_space(dataset.id()), H5Sclose, dataset.file(), dataset.path()};
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail(dataset, "cannot read its shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

void write_block(const Object& dataset, hid_t mem_type, const std::vector<std::uint64_t>& offset,
                 const std::vector<std::uint64_t>& count, const void* data) {
  Object file_space{H5Dget_space(dataset.id()), H5Sclose, dataset.file(), dataset.path()};
  std::vector<hsize_t> start(offset.begin(), offset.end());
  std::vector<hsize_t> extent(count.begin(), count.end());
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                      nullptr);
  Object mem_space{H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                   H5Sclose, dataset.file(), dataset.path()};
  errno = 0;
  if (H5Dwrite(dataset.id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data) < 0) {
    fail_io(dataset, "cannot write");
  }
}

void write_all(const Object& dataset, hid_t mem_type, const void* data) {
  errno = 0;
  if (H5Dwrite(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail_io(dataset, "cannot write");
}

void read_into(const Object& dataset, hid_t mem_type, void* data) {
  if (H5Dread(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail(dataset, "cannot read");
}

namespace {
template <typename T>
std::vector<T> read_all(const Object& dataset, hid_t mem_type) {
  std::size_t count = 1;
  for (auto d : dataset_dims(dataset)) count *= static_cast<std::size_t>(d);
  std::vector<T> out(count);
  if (count > 0 && H5Dread(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    fail(dataset, "cannot read data (corrupt file?)");
  }
  return out;
}
}  // namespace

std::vector<double> read_doubles(const Object& dataset) {
  return read_all<double>(dataset, H5T_NATIVE_DOUBLE);
}
std::vector<std::int64_t> read_int64s(const Object& dataset) {
  return read_all<std::int64_t>(dataset, H5T_NATIVE_INT64);
}

void flush(const Object& file) {
  errno = 0;
  if (H5Fflush(file.id(), H5F_SCOPE_GLOBAL) < 0) fail_io(file, "cannot flush");
}

Object open_file_rw(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const auto fapl = unlocked_access();
  const hid_t id = H5Fopen(path.string().c_str(), H5F_ACC_RDWR, fapl.id());
  if (id < 0) throw InputError(fmt::format("{}: cannot open HDF5 file for writing", path.string()));
  return {id, H5Fclose, path.string(), "/"};
}

}  // namespace weightfault::h5
