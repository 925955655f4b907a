#include "ipc/json_rpc.h"

#include <gtest/gtest.h>

#include "ipc/protocol.h"

namespace codeloc::ipc {
namespace {

using nlohmann::json;

int error_code_of(const Message& message) {
  return message.error.has_value() ? message.error->code() : 0;
}

TEST(JsonRpcParse, ClassifiesARequest) {
  const Message m = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":[1]}})");
  EXPECT_EQ(m.kind, MessageKind::kRequest);
  EXPECT_EQ(m.id, 7);
  EXPECT_EQ(m.method, "ping");
  EXPECT_EQ(m.params, json({{"a", {1}}}));
}

TEST(JsonRpcParse, AcceptsStringAndNullIdsAndPositionalOrMissingParams) {
  const Message a = parse_message(R"({"jsonrpc":"2.0","id":"x","method":"m","params":[1,2]})");
  EXPECT_EQ(a.kind, MessageKind::kRequest);
  EXPECT_EQ(a.id, "x");
  EXPECT_EQ(a.params, json::array({1, 2}));
  const Message b = parse_message(R"({"jsonrpc":"2.0","id":null,"method":"m"})");
  EXPECT_EQ(b.kind, MessageKind::kRequest);
  EXPECT_TRUE(b.id.is_null());
  EXPECT_TRUE(b.params.is_null());
}

TEST(JsonRpcParse, ClassifiesANotification) {
  const Message m = parse_message(R"( {"jsonrpc":"2.0","method":"event","params":{}} )");
  EXPECT_EQ(m.kind, MessageKind::kNotification);
  EXPECT_EQ(m.method, "event");
}

TEST(JsonRpcParse, KeepsAResultAsRawText) {
  const std::string frame = R"({"jsonrpc":"2.0","id":2,"result": {"snapshot":{"b":1, "a":2}} })";
  const Message m = parse_message(frame);
  EXPECT_EQ(m.kind, MessageKind::kResponse);
  EXPECT_FALSE(m.is_error_response());
  EXPECT_EQ(m.id, 2);
  EXPECT_EQ(m.raw_result, R"({"snapshot":{"b":1, "a":2}})");
}

TEST(JsonRpcParse, ClassifiesAnErrorResponse) {
  const Message m = parse_message(
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"boom","data":{"x":1}}})");
  EXPECT_EQ(m.kind, MessageKind::kResponse);
  ASSERT_TRUE(m.is_error_response());
  EXPECT_EQ(m.error->code(), error_code::kLoadError);
  EXPECT_EQ(m.error->message(), "boom");
  EXPECT_EQ(m.error->data(), json({{"x", 1}}));
}

TEST(JsonRpcParse, AnswersParseErrorForNonJson) {
  for (const char* bad : {"{", "not json", "{\"a\":}", "[1,", "\"unterminated"}) {
    const Message m = parse_message(bad);
    EXPECT_EQ(m.kind, MessageKind::kInvalid) << bad;
    EXPECT_EQ(error_code_of(m), error_code::kParseError) << bad;
    EXPECT_TRUE(m.id.is_null());
  }
}

TEST(JsonRpcParse, AnswersParseErrorForDeepNestingWithoutRecursing) {
  const std::string deep(1'000'000, '[');
  EXPECT_EQ(error_code_of(parse_message(deep)), error_code::kParseError);
}

TEST(JsonRpcParse, AnswersInvalidRequestForJsonThatIsNotJsonRpc) {
  for (const char* bad : {
           "1", "\"s\"", "null",
           R"({"id":1,"method":"m"})",                             // no jsonrpc
           R"({"jsonrpc":"1.0","id":1,"method":"m"})",             // wrong version
           R"({"jsonrpc":2.0,"id":1,"method":"m"})",               // version not a string
           R"({"jsonrpc":"2.0","id":1,"method":5})",               // method not a string
           R"({"jsonrpc":"2.0","id":1,"method":"m","params":3})",  // params a number
           R"({"jsonrpc":"2.0","id":1})",                          // nothing
           R"({"jsonrpc":"2.0","id":1,"result":1,"error":{}})",    // both
           R"({"jsonrpc":"2.0","result":1})",                      // response without id
           R"({"jsonrpc":"2.0","id":1,"error":{"code":"x"}})",     // malformed error
           R"({"jsonrpc":"2.0","id":1,"method":"m","result":1})",  // request with result
       }) {
    const Message m = parse_message(bad);
    EXPECT_EQ(m.kind, MessageKind::kInvalid) << bad;
    EXPECT_EQ(error_code_of(m), error_code::kInvalidRequest) << bad;
  }
}

TEST(JsonRpcParse, KeepsTheIdOfAnInvalidRequestWhenItIsReadable) {
  EXPECT_EQ(parse_message(R"({"jsonrpc":"1.0","id":9,"method":"m"})").id, 9);
  EXPECT_TRUE(parse_message(R"({"jsonrpc":"2.0","id":{"x":1},"method":"m"})").id.is_null());
  EXPECT_EQ(error_code_of(parse_message(R"({"jsonrpc":"2.0","id":[1],"method":"m"})")),
            error_code::kInvalidRequest);
}

TEST(JsonRpcParse, SplitsABatchIntoItsElements) {
  const Message m =
      parse_message(R"([{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"},1,)"
                    R"({"jsonrpc":"2.0","id":4,"result":1}])");
  ASSERT_EQ(m.kind, MessageKind::kBatch);
  ASSERT_EQ(m.batch.size(), 4u);
  EXPECT_EQ(m.batch[0].kind, MessageKind::kRequest);
  EXPECT_EQ(m.batch[1].kind, MessageKind::kNotification);
  EXPECT_EQ(m.batch[2].kind, MessageKind::kInvalid);
  EXPECT_EQ(error_code_of(m.batch[2]), error_code::kInvalidRequest);
  EXPECT_EQ(m.batch[3].kind, MessageKind::kInvalid);
  EXPECT_EQ(m.batch[3].id, 4);
}

TEST(JsonRpcParse, AnswersInvalidRequestForAnEmptyBatch) {
  const Message m = parse_message(" [ ] ");
  EXPECT_EQ(m.kind, MessageKind::kInvalid);
  EXPECT_EQ(error_code_of(m), error_code::kInvalidRequest);
}

TEST(JsonRpcBuild, BuildsRequestsAndNotifications) {
  EXPECT_EQ(make_request(1, "ping", json::object()),
            R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{}})");
  EXPECT_EQ(make_request("a", "m"), R"({"jsonrpc":"2.0","id":"a","method":"m"})");
  EXPECT_EQ(make_notification("event", {{"x", 1}}),
            R"({"jsonrpc":"2.0","method":"event","params":{"x":1}})");
}

TEST(JsonRpcBuild, BuildsResultsAndErrors) {
  EXPECT_EQ(make_result(3, {{"ok", true}}), R"({"jsonrpc":"2.0","id":3,"result":{"ok":true}})");
  EXPECT_EQ(make_error(nullptr, -32700, "parse error"),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})");
  EXPECT_EQ(make_error(4, RpcError(-32001, "bad", {{"k", 1}})),
            R"({"jsonrpc":"2.0","id":4,"error":{"code":-32001,"data":{"k":1},"message":"bad"}})");
}

TEST(JsonRpcBuild, BuildsTheMessageTooLargeAnswer) {
  const Message m = parse_message(make_too_large_error(1024));
  ASSERT_TRUE(m.is_error_response());
  EXPECT_TRUE(m.id.is_null());
  EXPECT_EQ(m.error->code(), error_code::kMessageTooLarge);
  EXPECT_EQ(m.error->message(), "message too large: over 1024 bytes");
  EXPECT_EQ(m.error->data()["limit_bytes"], 1024);
}

TEST(JsonRpcBuild, SplicesARawResultByteForByte) {
  const std::string raw = R"({"b" : 1,   "a":[ 2 ]})";
  const std::string line = make_raw_result(5, raw);
  EXPECT_EQ(line, R"({"jsonrpc":"2.0","id":5,"result":{"b" : 1,   "a":[ 2 ]}})");
  EXPECT_EQ(parse_message(line).raw_result, raw);
}

TEST(JsonRpcBuild, ReplacesInvalidUtf8InsteadOfThrowing) {
  const std::string line = make_error(1, -32603, "bad \xff byte");
  EXPECT_NE(line.find("bad \xef\xbf\xbd byte"), std::string::npos);
}

TEST(JsonRpcBuild, RoundTripsThroughTheParser) {
  const Message m = parse_message(make_request(11, "definitions.get", json::object()));
  EXPECT_EQ(m.kind, MessageKind::kRequest);
  EXPECT_EQ(m.id, 11);
  EXPECT_EQ(m.method, "definitions.get");
  const Message e = parse_message(make_error(11, RpcError::method_not_found("x")));
  ASSERT_TRUE(e.is_error_response());
  EXPECT_EQ(e.error->code(), error_code::kMethodNotFound);
}

}  // namespace
}  // namespace codeloc::ipc
