//! One module per provider, each behind [`crate::backend::Backend`]: the request shapes, the
//! answers' decoding and the provider's own rules. They use the shared state
//! ([`crate::state::Inner`]) and never the client module.

#[cfg(feature = "openai")]
pub(crate) mod openai;
#[cfg(feature = "oxen")]
pub(crate) mod oxen;
#[cfg(feature = "oxen")]
pub(crate) mod oxen_events;
#[cfg(feature = "videodb")]
pub(crate) mod videodb;
