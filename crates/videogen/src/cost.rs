//! Money: what a provider charged for a job, and what a request is estimated to cost.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount of money: an exact decimal `amount` and its ISO 4217 `currency` (such as `USD`).
///
/// Serialized as `{"amount": "0.35", "currency": "USD"}` — the amount as a decimal string, so
/// no binary rounding creeps in.
///
/// ```
/// let cost: videogen::Cost = serde_json::from_str(r#"{"amount":"0.35","currency":"USD"}"#).unwrap();
/// assert_eq!(cost.amount.to_string(), "0.35");
/// assert_eq!(cost.to_string(), "0.35 USD");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cost {
    /// The amount, exactly as the provider gave it (or as computed from its published prices).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The ISO 4217 currency code.
    pub currency: String,
}

impl Cost {
    /// Parses a provider's decimal text (`"0.35"`) in `currency`; `None` when it is not a number.
    pub(crate) fn parse(text: &str, currency: &str) -> Option<Self> {
        let amount = text.trim().parse::<Decimal>().ok()?;
        Some(Self { amount, currency: currency.to_string() })
    }

    /// A provider's JSON number (a price per second) as an exact decimal: the shortest text
    /// that reads back as the same `f64` (`0.07`, not `0.07000000000000000666`).
    pub(crate) fn decimal_of(value: f64) -> Option<Decimal> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        value.to_string().parse::<Decimal>().ok()
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount.normalize(), self.currency)
    }
}

/// The currency of Oxen.ai's `cost` and `pricing` values: US dollars (oxen.ai/pricing quotes
/// its pay-as-you-go model prices in USD; the API's numbers carry no currency of their own).
pub(crate) const OXEN_CURRENCY: &str = "USD";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Cost::decimal_of(0.07).unwrap().to_string(), "0.07");
        assert_eq!((Cost::decimal_of(0.07).unwrap() * Decimal::from(5)).normalize().to_string(), "0.35");
        assert!(Cost::decimal_of(f64::NAN).is_none() && Cost::decimal_of(-1.0).is_none());
        assert_eq!(Cost::parse(" 1.50 ", "USD").unwrap().to_string(), "1.5 USD");
        assert!(Cost::parse("free", "USD").is_none());
        let json = serde_json::to_string(&Cost::parse("0.35", "USD").unwrap()).unwrap();
        assert_eq!(json, r#"{"amount":"0.35","currency":"USD"}"#);
    }
}
