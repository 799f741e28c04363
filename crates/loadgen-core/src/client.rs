//! The HTTP client: targets, connections, one exchange per request.

mod connection;
mod exchange;
mod hold;
mod stamped_io;
mod stream;
mod target;

pub(crate) use connection::SessionConn;
pub(crate) use exchange::HttpClient;
