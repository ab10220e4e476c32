#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A gRPC server and client over TLS for grpc.bats (python3-grpcio, stubs
made here by grpc_tools.protoc from the service below).

  grpc_peer.py server DIR PORT        serve until killed (DIR: cert.pem, key.pem)
  grpc_peer.py client DIR PORT GO     wait for the file GO, then call: a unary
                                      SayHello, a server-streaming SayMany of
                                      3 replies, a SayHello failing NOT_FOUND
  grpc_peer.py live DIR PORT GO       wait for GO, then a SayMany for "slow":
                                      the server sends its first reply, then
                                      waits for the file DIR/release (30 s at
                                      most) before the other two
"""
import os
import sys
import time

PROTO = """syntax = "proto3";
package ectest;
message HelloRequest { string name = 1; int32 times = 2; }
message HelloReply { string message = 1; int32 n = 2; }
service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply);
  rpc SayMany (HelloRequest) returns (stream HelloReply);
}
"""


def stubs(d):
    if not os.path.exists(os.path.join(d, "ectest_pb2_grpc.py")):
        from grpc_tools import protoc
        with open(os.path.join(d, "ectest.proto"), "w") as f:
            f.write(PROTO)
        if protoc.main(["protoc", "-I" + d, "--python_out=" + d, "--grpc_python_out=" + d,
                        os.path.join(d, "ectest.proto")]):
            sys.exit("grpc_peer: protoc failed")
    sys.path.insert(0, d)
    import ectest_pb2
    import ectest_pb2_grpc
    return ectest_pb2, ectest_pb2_grpc


def main():
    import grpc
    mode, d, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pb, rpc = stubs(d)
    cert = open(os.path.join(d, "cert.pem"), "rb").read()
    if mode == "server":
        from concurrent import futures

        class Greeter(rpc.GreeterServicer):
            def SayHello(self, req, ctx):
                if req.name == "nobody":
                    ctx.abort(grpc.StatusCode.NOT_FOUND, "no such person")
                return pb.HelloReply(message="hello " + req.name, n=1)

            def SayMany(self, req, ctx):
                for i in range(req.times):
                    if i == 1 and req.name == "slow":
                        for _ in range(600):
                            if os.path.exists(os.path.join(d, "release")):
                                break
                            time.sleep(0.05)
                    yield pb.HelloReply(message="hello %s #%d" % (req.name, i + 1), n=i + 1)

        key = open(os.path.join(d, "key.pem"), "rb").read()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        rpc.add_GreeterServicer_to_server(Greeter(), server)
        server.add_secure_port("127.0.0.1:%d" % port, grpc.ssl_server_credentials([(key, cert)]))
        server.start()
        print("serving", flush=True)
        server.wait_for_termination()
        return
    go = sys.argv[4]
    for _ in range(400):
        if os.path.exists(go):
            break
        time.sleep(0.05)
    creds = grpc.ssl_channel_credentials(root_certificates=cert)
    with grpc.secure_channel("127.0.0.1:%d" % port, creds,
                             options=[("grpc.ssl_target_name_override", "localhost")]) as ch:
        stub = rpc.GreeterStub(ch)
        if mode == "live":
            for r in stub.SayMany(pb.HelloRequest(name="slow", times=3), timeout=60):
                print(r.message, flush=True)
            return
        print(stub.SayHello(pb.HelloRequest(name="ec"), timeout=10).message)
        for r in stub.SayMany(pb.HelloRequest(name="ec", times=3), timeout=10):
            print(r.message)
        try:
            stub.SayHello(pb.HelloRequest(name="nobody"), timeout=10)
        except grpc.RpcError as e:
            print("error", e.code().name, e.details())


if __name__ == "__main__":
    main()
