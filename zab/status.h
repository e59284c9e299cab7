// Status and Result<T>: how operating errors (I/O failure, corruption, bad arguments) cross module
// boundaries without exceptions. A Status is either OK or an error code plus a message; an OK
// Status holds no heap memory. Result<T> holds either a T or a non-OK Status.
//
// Thread-safety: value types; thread-compatible (no internal synchronization).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace zk::zab {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kIOError = 1,
    kCorruption = 2,
    kInvalidArgument = 3,
  };

  // Constructs an OK status.
  Status() = default;

  static Status OK() { return Status(); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value of type T or a non-OK Status.
template <class T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status directly");

  // REQUIRES: !status.ok()
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT implicit
    if (std::get<0>(v_).ok()) {
      v_.template emplace<0>(Status::InvalidArgument("Result constructed from an OK Status"));
    }
  }

  // Constructs a value (implicitly from anything T is constructible from, e.g. std::nullopt).
  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Status> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result>) Result(U&& value)
      : v_(std::in_place_index<1>, std::forward<U>(value)) {}  // NOLINT implicit

  bool ok() const { return v_.index() == 1; }

  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<0>(v_); }

  // REQUIRES: ok()
  T& value() & { return std::get<1>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace zk::zab
