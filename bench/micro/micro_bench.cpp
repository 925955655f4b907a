// codeloc_micro_bench: Google Benchmark for the in-process pieces the control API's throughput
// rests on (bench/README.md, "Micro benchmarks"): the frame decoder, JSON-RPC dispatch through a
// method table, and the SHA-256 that versions every snapshot.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "daemon/common/sha256.h"
#include "ipc/frame_decoder.h"
#include "ipc/method_table.h"
#include "ipc/params.h"
#include "ipc/protocol.h"

namespace {

using codeloc::ipc::FrameDecoder;
using nlohmann::json;

// The size of a read the daemon makes (LineChannel::Options::read_chunk_bytes).
constexpr std::size_t kReadChunk = 64u << 10;

// One JSON text of exactly `bytes` bytes, without newlines.
std::string json_text(std::size_t bytes) {
  std::string text = R"({"jsonrpc":"2.0","id":1,"result":{"padding":")";
  const std::string tail = "\"}}";
  if (bytes > text.size() + tail.size()) text.append(bytes - text.size() - tail.size(), 'x');
  return text += tail;
}

// Drains every frame; returns how many there were.
std::size_t drain(FrameDecoder& decoder) {
  std::size_t frames = 0;
  for (auto r = decoder.next(); r.status != FrameDecoder::Status::kNeedMore; r = decoder.next()) {
    benchmark::DoNotOptimize(r.frame.data());
    ++frames;
  }
  return frames;
}

// Many small frames (a control request is ~100 bytes) arriving in one read.
void BM_FrameDecoder_SmallFrames(benchmark::State& state) {
  const std::string frame =
      R"({"jsonrpc":"2.0","id":17,"method":"location.definitions","params":{"name":"analytics"}})";
  std::string chunk;
  while (chunk.size() + frame.size() + 1 <= kReadChunk)
    chunk += frame + '\n';
  FrameDecoder decoder(codeloc::ipc::kDefaultMaxRequestBytes);
  std::size_t frames = 0;
  for (auto _ : state) {
    decoder.feed(chunk);
    frames += drain(decoder);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chunk.size()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameDecoder_SmallFrames);

// One large frame (a snapshot from a code server) fed in reads of `range(1)` bytes.
void BM_FrameDecoder_LargeFrame(benchmark::State& state) {
  const std::string line = json_text(static_cast<std::size_t>(state.range(0))) + '\n';
  const auto chunk = static_cast<std::size_t>(state.range(1));
  for (auto _ : state) {
    FrameDecoder decoder(codeloc::ipc::kDefaultMaxCodeServerMessageBytes);
    std::size_t frames = 0;
    for (std::size_t at = 0; at < line.size(); at += chunk) {
      decoder.feed(std::string_view(line).substr(at, chunk));
      frames += drain(decoder);
    }
    if (frames != 1) state.SkipWithError("expected one frame");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_FrameDecoder_LargeFrame)
    ->ArgNames({"bytes", "read"})
    ->Args({10 << 10, kReadChunk})
    ->Args({1 << 20, kReadChunk})
    ->Args({50 << 20, kReadChunk})
    ->Args({1 << 20, 4096})
    ->Unit(benchmark::kMillisecond);

// Small frames split across reads at awkward places: `range(0)`-byte reads.
void BM_FrameDecoder_SplitReads(benchmark::State& state) {
  const std::string frame =
      R"({"jsonrpc":"2.0","id":17,"method":"location.definitions","params":{"name":"analytics"}})";
  std::string stream;
  for (int i = 0; i < 100; ++i)
    stream += frame + "\r\n";
  const auto chunk = static_cast<std::size_t>(state.range(0));
  FrameDecoder decoder(codeloc::ipc::kDefaultMaxRequestBytes);
  for (auto _ : state) {
    std::size_t frames = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      decoder.feed(std::string_view(stream).substr(at, chunk));
      frames += drain(decoder);
    }
    if (frames != 100) state.SkipWithError("expected 100 frames");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_FrameDecoder_SplitReads)->ArgName("read")->Arg(1)->Arg(7)->Arg(100)->Arg(4096);

// A stand-in for the daemon's ControlContext: one location with a snapshot.
struct Context {
  std::string name = "analytics";
  std::string version = "sha256:9f2c";
  std::shared_ptr<const std::string> snapshot_bytes;
};

// Handlers shaped like the daemon's (daemon/control/control_methods.cpp): a small JSON answer, and
// the snapshot spliced in as raw bytes.
codeloc::ipc::MethodTable<Context> make_table() {
  codeloc::ipc::MethodTable<Context> table;
  table.add(codeloc::ipc::method::kLocationGet, [](const json& params, Context& c) {
    std::string name = codeloc::ipc::require_string(params, "name");
    return json{{"name", name},
                {"state", "LOADED"},
                {"pid", 4242},
                {"restarts", 0},
                {"definitions_version", c.version}};
  });
  table.add(codeloc::ipc::method::kLocationDefinitions, [](const json& params, Context& c) {
    std::string name = codeloc::ipc::require_string(params, "name");
    json head = {{"name", name}, {"version", c.version}, {"stale", false}, {"not_modified", false}};
    // As daemon/control/control_methods.cpp: the snapshot is spliced in by reference, not copied.
    std::string text = head.dump();
    text.pop_back();
    text += ",\"definitions\":";
    return codeloc::ipc::MethodResult::spliced(std::move(text), c.snapshot_bytes, "}");
  });
  table.add(codeloc::ipc::method::kDaemonInfo,
            [](const json&, Context&) { return json::object(); });
  return table;
}

// Frame in, answer line out: parse, look up, run the handler, serialize the response.
void dispatch_bench(benchmark::State& state, std::string_view method, std::size_t snapshot_bytes) {
  auto table = make_table();
  Context context;
  context.snapshot_bytes = std::make_shared<const std::string>(json_text(snapshot_bytes));
  const std::string frame = R"({"jsonrpc":"2.0","id":17,"method":")" + std::string(method) +
                            R"(","params":{"name":"analytics"}})";
  benchmark::IterationCount answered = 0;
  std::size_t answer_bytes = 0;
  for (auto _ : state) {
    table.dispatch(frame, context, [&](codeloc::ipc::OutgoingLine line) {
      answer_bytes = line.size();
      benchmark::DoNotOptimize(line);
      ++answered;
    });
  }
  if (answered != state.iterations()) state.SkipWithError("not every request was answered");
  state.counters["answer_bytes"] = static_cast<double>(answer_bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Dispatch_LocationGet(benchmark::State& state) {
  dispatch_bench(state, codeloc::ipc::method::kLocationGet, 0);
}
BENCHMARK(BM_Dispatch_LocationGet);

void BM_Dispatch_LocationDefinitions(benchmark::State& state) {
  dispatch_bench(state, codeloc::ipc::method::kLocationDefinitions,
                 static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_Dispatch_LocationDefinitions)
    ->ArgName("snapshot")
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Arg(50 << 20)
    ->Unit(benchmark::kMicrosecond);

void BM_Dispatch_MethodNotFound(benchmark::State& state) {
  dispatch_bench(state, "no.such.method", 0);
}
BENCHMARK(BM_Dispatch_MethodNotFound);

// The definitions version of a snapshot (daemon/supervision/code_server_session.cpp, once per
// load).
void BM_Sha256_Version(benchmark::State& state) {
  const std::string bytes = json_text(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::string version = codeloc::daemon::Sha256::version_of(bytes);
    benchmark::DoNotOptimize(version.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_Sha256_Version)
    ->ArgName("bytes")
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Arg(50 << 20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
