// Result<T>: the value of a completed client operation, or the ZooKeeper error code (zk::Err)
// that explains why there is none. Exceptions never cross the client API; every failure is a
// Result holding an Err (server result codes such as kNoNode as well as client-side conditions
// such as kConnectionLoss, kRequestTimeout or kClosing).
//
// A Result is a plain value: copyable if T is, no sharing, no thread-safety concerns.
#pragma once

#include <cstdlib>
#include <cstdio>
#include <utility>
#include <variant>

#include "client/proto/wire_constants.h"

namespace zk::client {

template <class T>
class Result {
 public:
  // REQUIRES: err != Err::kOk (an error Result has no value).
  Result(Err err) : v_(err) {  // NOLINT(runtime/explicit): errors convert implicitly.
    if (err == Err::kOk) Die();
  }
  Result(T value) : v_(std::move(value)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return v_.index() == 0; }
  // kOk when ok().
  Err err() const { return ok() ? Err::kOk : std::get<1>(v_); }

  // REQUIRES: ok(). Accessing the value of an error Result aborts with a message.
  const T& value() const& { Check(); return std::get<0>(v_); }
  T& value() & { Check(); return std::get<0>(v_); }
  T&& value() && { Check(); return std::get<0>(std::move(v_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

 private:
  void Check() const {
    if (!ok()) Die();
  }
  [[noreturn]] static void Die() {
    std::fputs("zk::client::Result: value of an error result (or error kOk)\n", stderr);
    std::abort();
  }

  std::variant<T, Err> v_;
};

// Result<void>: success or an error code.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(Err err) : err_(err) {}  // NOLINT(runtime/explicit)
  bool ok() const { return err_ == Err::kOk; }
  Err err() const { return err_; }

 private:
  Err err_ = Err::kOk;
};

}  // namespace zk::client
