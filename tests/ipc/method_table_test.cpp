#include "ipc/method_table.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ipc/params.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {
namespace {

using nlohmann::json;

struct Context {
  int calls = 0;
  std::optional<Responder> parked;  // an async handler's pending answer
};

class MethodTableTest : public ::testing::Test {
 protected:
  MethodTableTest() {
    table_.add("echo", [](const json& params, Context& ctx) -> MethodResult {
      ++ctx.calls;
      return json{{"name", require_string(params, "name")},
                  {"lines", optional_int(params, "lines").value_or(10)}};
    });
    table_.add("raw",
               [](const json&, Context&) { return MethodResult::raw(R"({"b" : 1,  "a":2})"); });
    table_.add("boom", [](const json&, Context&) -> MethodResult {
      throw std::runtime_error("disk on fire");
    });
    table_.add("denied", [](const json&, Context&) -> MethodResult {
      throw RpcError(error_code::kUnknownLocation, "unknown location 'x'", {{"name", "x"}});
    });
    table_.add_async("later", [](const json&, Context& ctx, Responder responder) {
      ctx.parked = std::move(responder);
    });
    table_.add_async("forget", [](const json&, Context&, Responder) {});
  }

  // Dispatches `frame` and returns every line sent (0 or 1 per dispatch).
  std::vector<std::string> dispatch(std::string_view frame) {
    std::vector<std::string> sent;
    table_.dispatch(frame, ctx_,
                    [&sent](ipc::OutgoingLine line) { sent.push_back(line.flatten()); });
    return sent;
  }

  json answer(std::string_view frame) {
    const auto sent = dispatch(frame);
    EXPECT_EQ(sent.size(), 1u) << frame;
    return sent.empty() ? json() : json::parse(sent[0]);
  }

  MethodTable<Context> table_;
  Context ctx_;
};

TEST_F(MethodTableTest, AnswersARequestWithTheHandlersResult) {
  const json a = answer(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"name":"n"}})");
  EXPECT_EQ(a, json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"name":"n","lines":10}})"));
  EXPECT_EQ(ctx_.calls, 1);
}

TEST_F(MethodTableTest, SplicesASharedResultWithoutCopyingIt) {
  auto shared = std::make_shared<const std::string>(R"({"z" : [1, 2]})");
  table_.add("spliced", [shared](const json&, Context&) {
    return MethodResult::spliced(R"({"name":"a","definitions":)", shared, "}");
  });
  std::vector<OutgoingLine> sent;
  table_.dispatch(R"({"jsonrpc":"2.0","id":7,"method":"spliced"})", ctx_,
                  [&](OutgoingLine line) { sent.push_back(std::move(line)); });
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flatten(),
            R"({"jsonrpc":"2.0","id":7,"result":{"name":"a","definitions":{"z" : [1, 2]}}})");
  // The answer holds the handler's block itself: the table's copy of the handler, and the line.
  EXPECT_EQ(shared.use_count(), 3);
}

TEST_F(MethodTableTest, SplicesARawResultUnchanged) {
  const auto sent = dispatch(R"({"jsonrpc":"2.0","id":"r","method":"raw"})");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], R"({"jsonrpc":"2.0","id":"r","result":{"b" : 1,  "a":2}})");
}

TEST_F(MethodTableTest, RunsNotificationsWithoutAnswering) {
  EXPECT_TRUE(dispatch(R"({"jsonrpc":"2.0","method":"echo","params":{"name":"n"}})").empty());
  EXPECT_EQ(ctx_.calls, 1);
  EXPECT_TRUE(dispatch(R"({"jsonrpc":"2.0","method":"boom"})").empty());
  EXPECT_TRUE(dispatch(R"({"jsonrpc":"2.0","method":"no.such"})").empty());
}

TEST_F(MethodTableTest, AnswersParseErrorWithNullId) {
  const json a = answer("{not json");
  EXPECT_TRUE(a["id"].is_null());
  EXPECT_EQ(a["error"]["code"], error_code::kParseError);
}

TEST_F(MethodTableTest, AnswersInvalidRequest) {
  const json a = answer(R"({"jsonrpc":"2.0","id":4,"method":7})");
  EXPECT_EQ(a["id"], 4);
  EXPECT_EQ(a["error"]["code"], error_code::kInvalidRequest);
  EXPECT_EQ(answer("[]")["error"]["code"], error_code::kInvalidRequest);
  EXPECT_EQ(answer("42")["error"]["code"], error_code::kInvalidRequest);
}

TEST_F(MethodTableTest, AnswersMethodNotFound) {
  const json a = answer(R"({"jsonrpc":"2.0","id":2,"method":"no.such"})");
  EXPECT_EQ(a["error"]["code"], error_code::kMethodNotFound);
  EXPECT_EQ(a["error"]["message"], "method not found: 'no.such'");
}

TEST_F(MethodTableTest, NamesAMissingParameter) {
  const json a = answer(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":{}})");
  EXPECT_EQ(a["error"]["code"], error_code::kInvalidParams);
  EXPECT_EQ(a["error"]["message"], "missing parameter 'name'");
  EXPECT_EQ(a["error"]["data"]["parameter"], "name");
  EXPECT_EQ(answer(R"({"jsonrpc":"2.0","id":3,"method":"echo"})")["error"]["message"],
            "missing parameter 'name'");
}

TEST_F(MethodTableTest, NamesAParameterOfTheWrongType) {
  EXPECT_EQ(
      answer(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":{"name":1}})")["error"]["message"],
      "parameter 'name' must be a string");
  EXPECT_EQ(answer(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":{"name":"n","lines":"x"}})")
                ["error"]["message"],
            "parameter 'lines' must be an integer");
  EXPECT_EQ(answer(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":["n"]})")["error"]["code"],
            error_code::kInvalidParams);
}

TEST_F(MethodTableTest, TurnsAHandlersRpcErrorIntoItsAnswer) {
  const json a = answer(R"({"jsonrpc":"2.0","id":5,"method":"denied"})");
  EXPECT_EQ(a["error"], json::parse(R"({"code":-32010,"message":"unknown location 'x'",
                                        "data":{"name":"x"}})"));
}

TEST_F(MethodTableTest, TurnsOtherExceptionsIntoInternalErrors) {
  const json a = answer(R"({"jsonrpc":"2.0","id":6,"method":"boom"})");
  EXPECT_EQ(a["error"]["code"], error_code::kInternalError);
  EXPECT_EQ(a["error"]["message"], "disk on fire");
}

TEST_F(MethodTableTest, AnswersABatchInOrderLeavingOutNotifications) {
  const json a = answer(R"([
      {"jsonrpc":"2.0","id":1,"method":"echo","params":{"name":"a"}},
      {"jsonrpc":"2.0","method":"echo","params":{"name":"b"}},
      {"jsonrpc":"2.0","id":3,"method":"no.such"},
      1,
      {"jsonrpc":"2.0","id":5,"method":"raw"}])");
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0]["result"]["name"], "a");
  EXPECT_EQ(a[1]["error"]["code"], error_code::kMethodNotFound);
  EXPECT_EQ(a[2]["error"]["code"], error_code::kInvalidRequest);
  EXPECT_TRUE(a[2]["id"].is_null());
  EXPECT_EQ(a[3]["result"]["a"], 2);
  EXPECT_EQ(ctx_.calls, 2);
}

TEST_F(MethodTableTest, SendsNothingForABatchOfNotifications) {
  EXPECT_TRUE(dispatch(R"([{"jsonrpc":"2.0","method":"echo","params":{"name":"a"}},
                           {"jsonrpc":"2.0","method":"echo","params":{"name":"b"}}])")
                  .empty());
  EXPECT_EQ(ctx_.calls, 2);
}

TEST_F(MethodTableTest, LetsAnAsyncHandlerAnswerLater) {
  std::vector<std::string> sent;
  table_.dispatch(R"({"jsonrpc":"2.0","id":9,"method":"later"})", ctx_,
                  [&](ipc::OutgoingLine line) { sent.push_back(line.flatten()); });
  EXPECT_TRUE(sent.empty());
  ASSERT_TRUE(ctx_.parked.has_value());
  ctx_.parked->reply({{"state", "LOADED"}});
  ctx_.parked->reply("ignored: answered already");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], R"({"jsonrpc":"2.0","id":9,"result":{"state":"LOADED"}})");
}

TEST_F(MethodTableTest, WaitsForAsyncAnswersBeforeSendingABatch) {
  std::vector<std::string> sent;
  table_.dispatch(R"([{"jsonrpc":"2.0","id":1,"method":"later"},
                      {"jsonrpc":"2.0","id":2,"method":"raw"}])",
                  ctx_, [&](ipc::OutgoingLine line) { sent.push_back(line.flatten()); });
  EXPECT_TRUE(sent.empty());
  ctx_.parked->fail(RpcError(error_code::kLoadError, "ImportError"));
  ASSERT_EQ(sent.size(), 1u);
  const json a = json::parse(sent[0]);
  EXPECT_EQ(a[0]["error"]["code"], error_code::kLoadError);
  EXPECT_EQ(a[1]["id"], 2);
}

TEST_F(MethodTableTest, AnswersAnInternalErrorWhenAHandlerDropsItsResponder) {
  const json a = answer(R"({"jsonrpc":"2.0","id":7,"method":"forget"})");
  EXPECT_EQ(a["error"]["code"], error_code::kInternalError);
}

TEST_F(MethodTableTest, IgnoresResponsesSentAsRequests) {
  EXPECT_TRUE(dispatch(R"({"jsonrpc":"2.0","id":1,"result":{}})").empty());
  EXPECT_TRUE(dispatch(R"({"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}})").empty());
}

TEST(Params, ReadsOptionalParametersAndTreatsNullAsAbsent) {
  const json params = {{"wait", true}, {"n", 5}, {"timeout", nullptr}, {"topics", {"a", "b"}}};
  EXPECT_TRUE(optional_bool(params, "wait", false));
  EXPECT_FALSE(optional_bool(params, "missing", false));
  EXPECT_EQ(optional_int(params, "n"), 5);
  EXPECT_EQ(optional_int(params, "timeout"), std::nullopt);
  EXPECT_EQ(optional_string(json(), "name"), std::nullopt);
  EXPECT_EQ(optional_string_list(params, "topics"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(require_int(json{{"n", 3.0}}, "n"), 3);
}

TEST(Params, ThrowsInvalidParamsNamingTheParameter) {
  const auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const RpcError& e) {
      EXPECT_EQ(e.code(), error_code::kInvalidParams);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const json params = {{"wait", "yes"}, {"n", -1}, {"topics", {"a", 1}}, {"f", 1.5}};
  EXPECT_EQ(message_of([&] { optional_bool(params, "wait", false); }),
            "parameter 'wait' must be a boolean");
  EXPECT_EQ(message_of([&] { optional_non_negative_int(params, "n"); }),
            "parameter 'n' must be a non-negative integer");
  EXPECT_EQ(message_of([&] { optional_string_list(params, "topics"); }),
            "parameter 'topics' must be an array of strings");
  EXPECT_EQ(message_of([&] { require_int(params, "f"); }), "parameter 'f' must be an integer");
  EXPECT_EQ(message_of([&] { require_string(json::array(), "name"); }),
            "params must be an object of named parameters");
}

}  // namespace
}  // namespace codeloc::ipc
