// Work that would hold the event loop for milliseconds (parsing, cutting or hashing a snapshot of
// tens of megabytes), run on a thread of its own with its outcome handed back on the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

namespace codeloc::ipc {

// One job at a time. start() runs `work` on a new thread, then posts `done(result)` to the
// executor. cancel() and the destructor drop an outcome that has not run yet; the destructor also
// joins the thread (at most one job's time). The work must own everything it touches: it runs
// while the loop goes on. Loop-thread only, except `work` itself.
class OffLoopJob {
 public:
  explicit OffLoopJob(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  ~OffLoopJob() {
    cancel();
    if (thread_.joinable()) thread_.join();
  }
  OffLoopJob(const OffLoopJob&) = delete;
  OffLoopJob& operator=(const OffLoopJob&) = delete;

  // REQUIRES: !busy(). Throws std::system_error when no thread can be had (nothing runs then).
  template <class Result>
  void start(std::function<Result()> work, std::function<void(Result)> done) {
    // The previous job has posted its outcome already, unless it was cancelled while it ran: then
    // this waits for it (CodeServerSession starts one job per session, so never).
    if (thread_.joinable()) thread_.join();
    const std::uint64_t token = ++generation_->value;
    std::weak_ptr<Generation> generation = generation_;
    auto executor = executor_;
    thread_ = std::thread([work = std::move(work), done = std::move(done), generation, token,
                           executor]() mutable {
      auto result = std::make_shared<Result>(work());
      boost::asio::post(executor, [done = std::move(done), result, generation, token]() mutable {
        auto current = generation.lock();
        if (!current || current->value != token || !current->running) return;
        current->running = false;
        done(std::move(*result));
      });
    });
    generation_->running = true;
  }

  bool busy() const { return generation_->running; }
  void cancel() {
    ++generation_->value;
    generation_->running = false;
  }

 private:
  // Read and written on the loop only; the thread holds a weak reference it never dereferences.
  struct Generation {
    std::uint64_t value = 0;
    bool running = false;
  };

  boost::asio::any_io_executor executor_;
  std::shared_ptr<Generation> generation_ = std::make_shared<Generation>();
  std::thread thread_;
};

}  // namespace codeloc::ipc
