// A thin RAII layer over the HDF5 C API: files, groups, attributes and float
// datasets, with every failure turned into an InputError that names the file
// and the object. Used by the model file, the Keras importer and (later) the
// results writer.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace weightfault::h5 {

// Owns one HDF5 identifier; closes it with the matching H5?close.
class Object {
 public:
  Object() = default;
  Object(hid_t id, herr_t (*close)(hid_t), std::string file, std::string path)
      : id_(id), close_(close), file_(std::move(file)), path_(std::move(path)) {}
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  Object(Object&& other) noexcept { *this = std::move(other); }
  Object& operator=(Object&& other) noexcept;
  ~Object() { reset(); }

  hid_t id() const { return id_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  // "file.h5:/group/name" for error messages.
  std::string where() const { return file_ + ":" + path_; }

 private:
  void reset();
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
  std::string file_;
  std::string path_;
};

Object create_file(const std::filesystem::path& path);  // truncates
Object open_file(const std::filesystem::path& path);    // read-only; InputError if not HDF5

bool has_child(const Object& parent, const std::string& name);
Object create_group(const Object& parent, const std::string& name);
Object open_group(const Object& parent, const std::string& name);
std::vector<std::string> child_names(const Object& group);

bool has_attribute(const Object& obj, const std::string& name);
void write_string_attribute(const Object& obj, const std::string& name, const std::string& value);
void write_string_list_attribute(const Object& obj, const std::string& name,
                                 const std::vector<std::string>& values);
void write_int_attribute(const Object& obj, const std::string& name,
                         const std::vector<std::int64_t>& values);
void write_double_attribute(const Object& obj, const std::string& name, double value);

// Strings may be fixed-length or variable-length (Keras writes fixed-length ones).
std::string read_string_attribute(const Object& obj, const std::string& name);
std::vector<std::string> read_string_list_attribute(const Object& obj, const std::string& name);
std::vector<std::int64_t> read_int_attribute(const Object& obj, const std::string& name);
double read_double_attribute(const Object& obj, const std::string& name);

struct FloatArray {
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};
void write_float_dataset(const Object& parent, const std::string& name,
                         const std::vector<std::int64_t>& dims, const std::vector<float>& values);
FloatArray read_float_dataset(const Object& parent, const std::string& name);

}  // namespace weightfault::h5

namespace weightfault::h5 {

// Numeric datasets of any rank, for results files. Storage is allocated and
// filled with `fill` at creation, so later writes change raw data only, never
// the file's metadata (a killed writer leaves a readable file).
Object create_dataset(const Object& parent, const std::string& name, hid_t file_type,
                      hid_t mem_type, const std::vector<std::uint64_t>& dims, const void* fill);
Object open_dataset(const Object& parent, const std::string& name);
// Writes a block at `offset` with extents `count` (same rank as the dataset).
void write_block(const Object& dataset, hid_t mem_type, const std::vector<std::uint64_t>& offset,
                 const std::vector<std::uint64_t>& count, const void* data);
void write_all(const Object& dataset, hid_t mem_type, const void* data);
// Reads the whole dataset into `data` (sized by the caller), converting to `mem_type`.
void read_into(const Object& dataset, hid_t mem_type, void* data);
std::vector<std::uint64_t> dataset_dims(const Object& dataset);
std::vector<double> read_doubles(const Object& dataset);
std::vector<std::int64_t> read_int64s(const Object& dataset);
void flush(const Object& file);
Object open_file_rw(const std::filesystem::path& path);

}  // namespace weightfault::h5
