// TcpSocket and TcpAcceptor: the TCP socket and acceptor of client and peer connections, bound
// to the io_context's own executor type instead of asio's type-erased any_io_executor (what
// asio::ip::tcp::socket uses). A socket is then 40 bytes instead of 88, each pending operation
// (an idle session's read wait among them) 48 bytes smaller, and no operation goes through the
// type-erased executor's indirect calls. Everything here runs on one io_context.
#pragma once

#include <asio.hpp>

namespace zk::zab {

using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;
using TcpAcceptor = asio::basic_socket_acceptor<asio::ip::tcp, asio::io_context::executor_type>;

}  // namespace zk::zab
