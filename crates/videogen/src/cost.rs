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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(
    description = "An amount of money: `amount`, an exact decimal as a string (no binary rounding), and its ISO 4217 `currency`: {\"amount\": \"0.35\", \"currency\": \"USD\"}."
)]
pub struct Cost {
    /// The amount, exactly as the provider gave it (or as computed from its published prices).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String", regex(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub amount: Decimal,
    /// The ISO 4217 currency code.
    pub currency: String,
}

impl Cost {
    /// The total of `costs` per currency (amounts in different currencies are never added).
    ///
    /// ```
    /// use videogen::Cost;
    /// let usd = |a: &str| Cost { amount: a.parse().unwrap(), currency: "USD".into() };
    /// let eur = Cost { amount: "2".parse().unwrap(), currency: "EUR".into() };
    /// let totals = Cost::totals([&usd("0.35"), &usd("0.70"), &eur]);
    /// assert_eq!(totals["USD"].to_string(), "1.05");
    /// assert_eq!(totals.len(), 2);
    /// ```
    pub fn totals<'a>(costs: impl IntoIterator<Item = &'a Cost>) -> std::collections::BTreeMap<String, Decimal> {
        let mut totals = std::collections::BTreeMap::new();
        for cost in costs {
            *totals.entry(cost.currency.clone()).or_insert(Decimal::ZERO) += cost.amount;
        }
        totals
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount.normalize(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_strings() {
        let cost = Cost { amount: "1.50".parse().unwrap(), currency: "USD".into() };
        assert_eq!(cost.to_string(), "1.5 USD");
        assert_eq!(serde_json::to_string(&cost).unwrap(), r#"{"amount":"1.50","currency":"USD"}"#);
        let back: Cost = serde_json::from_str(r#"{"amount":"0.35","currency":"USD"}"#).unwrap();
        assert_eq!(back.amount * Decimal::from(2), "0.70".parse::<Decimal>().unwrap());
    }
}
