// Runs a kernel call on libuv's thread pool and settles a promise, so heavy native work
// never blocks the JS event loop. The typed arrays the call reads and writes are held by
// a reference until it completes, so the GC cannot free them underneath it.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "args.h"

namespace loom::addon {

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, Napi::Object keep_alive, std::function<void()> work)
      : Napi::AsyncWorker(env, "loomrnn"),
        deferred_(Napi::Promise::Deferred::New(env)),
        keep_alive_(Napi::Persistent(keep_alive)),
        work_(std::move(work)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (const loom::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "ENOMEM";
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = "EINTERNAL";
      SetError(e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

  void OnError(const Napi::Error& error) override {
    deferred_.Reject(loom_error(Env(), code_, error.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_alive_;
  std::function<void()> work_;
  std::string code_ = "EINTERNAL";
};

// Queues `work` and returns its promise.
inline Napi::Value run_async(Napi::Env env, Napi::Object keep_alive, std::function<void()> work) {
  auto* worker = new KernelWorker(env, keep_alive, std::move(work));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace loom::addon
