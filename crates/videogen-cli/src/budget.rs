//! Costs before money: `--dry-run` (what would be sent and what it would cost; nothing is sent)
//! and `--max-cost` (a request whose estimate is over the budget, or cannot be estimated, is
//! refused before anything is sent).
//!
//! Estimates come from the provider's published prices (`Client::estimate_cost`: Oxen.ai's
//! model pricing, per second of video); a provider or model without one has no estimate, and
//! says so — never a guess. On the built-in simulator the prices are the simulator's, and the
//! output says `"simulated": true`.

use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{BatchDryRunReport, DryRunLine, DryRunReport, ProviderEstimate, totals};
use serde_json::Value;
use std::collections::BTreeMap;
use videogen::{Client, Cost, Decimal, Operation, VideoRequest};

/// `--max-cost AMOUNT[ CURRENCY]`: `5`, `5.50`, `5 USD`, `5USD` (the currency, when given, must
/// be the estimate's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxCost {
    /// The most one request may cost.
    pub amount: Decimal,
    /// Its ISO 4217 currency, when given.
    pub currency: Option<String>,
}

impl std::str::FromStr for MaxCost {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
        let (number, currency) = text.split_at(split);
        let amount: Decimal =
            number.trim().parse().map_err(|_| format!("{text:?} is not an amount (5, 5.50, \"5 USD\")"))?;
        if amount.is_sign_negative() {
            return Err(format!("{text:?}: a budget is not negative"));
        }
        let currency = currency.trim();
        let code = currency.len() == 3 && currency.chars().all(|c| c.is_ascii_alphabetic());
        if !currency.is_empty() && !code {
            return Err(format!("{text:?}: the currency is a 3-letter code (USD)"));
        }
        Ok(Self { amount, currency: (!currency.is_empty()).then(|| currency.to_ascii_uppercase()) })
    }
}

impl std::fmt::Display for MaxCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.currency {
            Some(c) => write!(f, "{} {c}", self.amount.normalize()),
            None => write!(f, "{}", self.amount.normalize()),
        }
    }
}

/// What `request` would cost, from the provider's published prices: `Ok(None)` where the
/// provider publishes none, or the request leaves the price open (no duration…).
///
/// # Errors
/// The price read's errors (the models endpoint did not answer).
pub async fn estimate(client: &Client, request: &VideoRequest) -> Result<Option<Cost>, videogen::Error> {
    if !Client::supports(request.provider, Operation::EstimateCost) {
        return Ok(None);
    }
    client.estimate_cost(request).await
}

/// Refuses `request` when its estimate is over `max`, in another currency, or unknown: nothing
/// is sent (exit 2). Returns the estimate.
///
/// # Errors
/// [`CliError`] with exit 2 for a refusal; the price read's errors.
pub async fn check_max_cost(client: &Client, request: &VideoRequest, max: &MaxCost) -> Result<Cost, CliError> {
    let Some(cost) = estimate(client, request).await? else {
        return Err(CliError::usage(format!(
            "--max-cost {max}: {} publishes no price for {} (or the request leaves it open, e.g. no --duration), so the budget cannot be checked; nothing sent",
            request.provider,
            clean(&request.model)
        )));
    };
    if max.currency.as_ref().is_some_and(|c| *c != cost.currency) {
        return Err(CliError::usage(format!("--max-cost {max}: the estimate is in {}; nothing sent", cost.currency)));
    }
    if cost.amount > max.amount {
        return Err(CliError::usage(format!("the estimate, {cost}, is over --max-cost {max}; nothing sent")));
    }
    Ok(cost)
}

/// `cost` with its amount normalized (`1.25`, not `1.2500`).
fn normalized(cost: &Cost) -> Cost {
    Cost { amount: cost.amount.normalize(), currency: cost.currency.clone() }
}

/// The report of a one-request `--dry-run`: the request as its fields, its checks (passed: a
/// failed one exits 2 before this), its outputs and its estimate.
pub fn dry_run_report(fields: Value, request: &VideoRequest, cost: Option<&Cost>, simulated: bool) -> Report {
    let outputs = request.outputs().unwrap_or(1);
    let priced = match cost {
        Some(c) => format!("estimated {c}{}", if simulated { " (the provider is the built-in simulator)" } else { "" }),
        None => format!("no estimate: {} publishes no price for it", request.provider),
    };
    let text = vec![
        format!(
            "dry run: {} {} — checks passed; {outputs} output{}; {priced}; nothing sent",
            request.provider,
            clean(&request.model),
            if outputs == 1 { "" } else { "s" }
        ),
        clean(&fields.to_string()),
    ];
    let report = DryRunReport {
        dry_run: true,
        sent: false,
        checks: "passed".into(),
        provider: request.provider,
        model: request.model.clone(),
        outputs,
        request: fields,
        estimate: cost.map(normalized),
        simulated,
    };
    Report::typed(text, &report)
}

/// `--dry-run` and `--max-cost`, as `generate` and `submit` take them.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct BudgetArgs {
    /// Check the request and estimate its cost, print what would be sent, and stop: nothing is
    /// sent or paid for.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the request (exit 2, nothing sent) when its estimate from the provider's published
    /// prices is over AMOUNT, or when it has none: 5, 5.50, "5 USD".
    #[arg(long, value_name = "AMOUNT")]
    pub max_cost: Option<MaxCost>,
}

impl BudgetArgs {
    /// What `generate` and `submit` do before sending: with `--dry-run`, the report of what
    /// would be sent (`Some`: the command prints it and stops); with `--max-cost`, the budget's
    /// check (exit 2 on a refusal). `None`: go on and send.
    ///
    /// # Errors
    /// A refusal by the budget; the price read's errors (with `--max-cost`: a budget that cannot
    /// be checked is not passed).
    pub async fn before_sending(
        &self,
        client: &Client,
        request: &VideoRequest,
        args: &crate::request::RequestArgs,
        simulated: bool,
    ) -> Result<Option<Report>, CliError> {
        let cost = match &self.max_cost {
            Some(max) => Some(check_max_cost(client, request, max).await?),
            None if self.dry_run => estimate(client, request).await?,
            None => None,
        };
        if !self.dry_run {
            return Ok(None);
        }
        let fields = serde_json::to_value(args.fields()?).unwrap_or_default();
        Ok(Some(dry_run_report(fields, request, cost.as_ref(), simulated)))
    }
}

/// `batch --max-cost`: one budget shared by the run's lines. Before a line's create is sent, its
/// estimate is reserved; the line is not started when the costs reported by the lines this run
/// finished, plus the estimates of those in flight, plus its own would pass the budget, when it
/// has no estimate (a provider without published prices: it is counted as unbounded, so it is
/// never started under a budget), or when its estimate is in another currency. From the first
/// refusal on, no line starts (the batch stops starting lines; those in flight finish). A
/// finished line's reservation becomes its reported cost (the estimate stays when none is
/// reported; a simulated line counts its estimate, the simulator's prices); a refused create's
/// is released. Lines done by earlier runs, and jobs resumed from them (already paid), are not
/// counted.
pub struct Budget {
    max: MaxCost,
    state: std::sync::Mutex<BudgetState>,
}

#[derive(Default)]
struct BudgetState {
    committed: Decimal,
    currency: Option<String>,
    exhausted: Option<String>,
}

/// A line's share of a [`Budget`], reserved before its create.
#[derive(Debug)]
pub struct Reservation {
    amount: Decimal,
}

impl Budget {
    /// A budget of `max` for a run.
    pub fn new(max: MaxCost) -> Self {
        let currency = max.currency.clone();
        Self { max, state: std::sync::Mutex::new(BudgetState { currency, ..BudgetState::default() }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves `estimate` for a line about to be sent.
    ///
    /// # Errors
    /// Why the line is not started (the budget would pass, no estimate, another currency, or an
    /// earlier line was refused).
    pub fn reserve(&self, estimate: Option<&Cost>) -> Result<Reservation, String> {
        let mut state = self.state();
        if let Some(why) = &state.exhausted {
            return Err(format!("not started: the batch stopped starting lines at --max-cost {} ({why})", self.max));
        }
        let refused = |state: &mut BudgetState, why: String| {
            state.exhausted = Some(why.clone());
            Err(format!(
                "not started: --max-cost {}: {why}; nothing sent (rerun with a larger budget to go on)",
                self.max
            ))
        };
        let Some(cost) = estimate else {
            return refused(&mut state, "a line without a published price cannot be counted against it".into());
        };
        if let Some(currency) = state.currency.clone().filter(|c| *c != cost.currency) {
            return refused(&mut state, format!("a line priced in {} against a budget in {currency}", cost.currency));
        }
        if state.committed + cost.amount > self.max.amount {
            let why = format!(
                "{} spent or in flight + this line's estimated {cost} would pass it",
                state.committed.normalize()
            );
            return refused(&mut state, why);
        }
        state.currency.get_or_insert_with(|| cost.currency.clone());
        state.committed += cost.amount;
        Ok(Reservation { amount: cost.amount })
    }

    /// Settles a line's reservation: its reported cost replaces the estimate (`None`: the
    /// estimate stays); `released`: nothing was created, so nothing is counted.
    pub fn settle(&self, reservation: Reservation, reported: Option<&[Cost]>, released: bool) {
        let mut state = self.state();
        state.committed -= reservation.amount;
        if released {
            return;
        }
        let currency = state.currency.clone();
        let reported: Option<Decimal> = reported
            .filter(|costs| !costs.is_empty() && costs.iter().all(|c| Some(&c.currency) == currency.as_ref()))
            .map(|costs| costs.iter().map(|c| c.amount).sum());
        state.committed += reported.unwrap_or(reservation.amount);
    }

    /// What this run has spent or holds for lines in flight.
    #[cfg(test)]
    pub fn committed(&self) -> Decimal {
        self.state().committed
    }
}

/// Totals of a batch's estimates: per provider and currency, and the lines without one.
#[derive(Default)]
pub struct Totals {
    by_provider: BTreeMap<String, (usize, usize, BTreeMap<String, Decimal>)>,
    all: BTreeMap<String, Decimal>,
    without_price: usize,
    lines: usize,
}

impl Totals {
    /// Adds one line of `provider` and its estimate.
    pub fn add(&mut self, provider: videogen::Provider, cost: Option<&Cost>) {
        self.lines += 1;
        let entry = self.by_provider.entry(provider.to_string()).or_default();
        entry.0 += 1;
        match cost {
            Some(c) => {
                *entry.2.entry(c.currency.clone()).or_default() += c.amount;
                *self.all.entry(c.currency.clone()).or_default() += c.amount;
            }
            None => {
                entry.1 += 1;
                self.without_price += 1;
            }
        }
    }

    fn money(map: &BTreeMap<String, Decimal>) -> String {
        map.iter().map(|(c, a)| format!("{} {c}", a.normalize())).collect::<Vec<_>>().join(" + ")
    }

    /// The summary line (`dry run: 1000 lines, checks passed; oxen 250 ≈ 87.5 USD; aihubmix 750
    /// (750 without a published price); …; nothing sent`) and the [`BatchDryRunReport`].
    /// `simulated`: the providers that are the built-in simulator (their parts are marked).
    pub fn report(&self, lines: Vec<DryRunLine>, simulated: &[videogen::Provider]) -> Report {
        let is_simulated = |p: &str| simulated.iter().any(|s| s.as_str() == p);
        let mut parts = vec![format!("dry run: {} lines, checks passed", self.lines)];
        for (provider, (n, without, money)) in &self.by_provider {
            let priced = n - without;
            let mut part = format!("{provider} {n}");
            if priced > 0 {
                part.push_str(&format!(" ≈ {}", Self::money(money)));
            }
            if *without > 0 {
                part.push_str(&format!(" ({without} without a published price)"));
            }
            if is_simulated(provider) {
                part.push_str(" (the built-in simulator)");
            }
            parts.push(part);
        }
        if !self.all.is_empty() {
            parts.push(format!("total ≈ {}", Self::money(&self.all)));
        }
        parts.push("nothing sent".into());
        let by_provider = self
            .by_provider
            .iter()
            .map(|(p, (n, without, money))| {
                let estimate = ProviderEstimate { lines: *n, without_price: *without, total_estimate: totals(money) };
                (p.clone(), estimate)
            })
            .collect();
        let report = BatchDryRunReport {
            dry_run: true,
            sent: false,
            lines: self.lines,
            without_price: self.without_price,
            total_estimate: totals(&self.all),
            by_provider,
            simulated: !simulated.is_empty(),
            requests: lines,
        };
        Report::typed(vec![parts.join("; ")], &report)
    }
}

/// One batch line in a dry run's JSON.
pub fn dry_run_line(number: usize, request: &VideoRequest, outs: &[String], cost: Option<&Cost>) -> DryRunLine {
    DryRunLine {
        line: number,
        provider: request.provider,
        model: request.model.clone(),
        files: outs.to_vec(),
        estimate: cost.map(normalized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_as_documented() {
        let m: MaxCost = "5".parse().unwrap();
        assert_eq!((m.amount, m.currency), ("5".parse().unwrap(), None));
        let m: MaxCost = "5.50 usd".parse().unwrap();
        assert_eq!((m.amount, m.currency.as_deref()), ("5.50".parse().unwrap(), Some("USD")));
        assert_eq!("12EUR".parse::<MaxCost>().unwrap().currency.as_deref(), Some("EUR"));
        for bad in ["", "USD", "-1", "five", "5 dollars", "1e3"] {
            assert!(bad.parse::<MaxCost>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_budget_stops_starting_lines_before_it_would_pass() {
        let usd = |a: &str| Cost { amount: a.parse().unwrap(), currency: "USD".into() };
        let budget = Budget::new("1 USD".parse().unwrap());
        let a = budget.reserve(Some(&usd("0.4"))).unwrap();
        let b = budget.reserve(Some(&usd("0.4"))).unwrap();
        // A reported cost replaces the estimate; a refused create releases its share.
        budget.settle(a, Some(&[usd("0.3")]), false);
        budget.settle(b, None, true);
        assert_eq!(budget.committed(), "0.3".parse::<Decimal>().unwrap());
        let c = budget.reserve(Some(&usd("0.7"))).unwrap();
        budget.settle(c, None, false);
        assert_eq!(budget.committed(), "1.0".parse::<Decimal>().unwrap(), "at the budget is within it");
        let over = budget.reserve(Some(&usd("0.01"))).unwrap_err();
        assert!(over.contains("would pass it") && over.contains("nothing sent"), "{over}");
        // Once refused, no line starts, however cheap.
        let after = budget.reserve(Some(&usd("0"))).unwrap_err();
        assert!(after.contains("stopped starting lines"), "{after}");

        let unpriced = Budget::new("5".parse().unwrap());
        assert!(unpriced.reserve(None).unwrap_err().contains("without a published price"));
        let mixed = Budget::new("5".parse().unwrap());
        mixed.reserve(Some(&usd("1"))).unwrap();
        let eur = Cost { amount: "1".parse().unwrap(), currency: "EUR".into() };
        assert!(mixed.reserve(Some(&eur)).unwrap_err().contains("priced in EUR"));
    }

    #[test]
    fn totals_count_lines_without_a_price() {
        let mut t = Totals::default();
        let usd = |a: &str| Cost { amount: a.parse().unwrap(), currency: "USD".into() };
        t.add(videogen::Provider::Oxen, Some(&usd("0.35")));
        t.add(videogen::Provider::Oxen, Some(&usd("0.35")));
        t.add(videogen::Provider::AiHubMix, None);
        let r = t.report(Vec::new(), &[videogen::Provider::Oxen]);
        assert_eq!(r.json["total_estimate"], serde_json::json!([{"amount": "0.7", "currency": "USD"}]));
        assert_eq!(r.json["by_provider"]["oxen"]["total_estimate"][0]["amount"], "0.7");
        assert_eq!(r.json["without_price"], 1);
        assert!(r.text[0].contains("oxen 2 ≈ 0.7 USD (the built-in simulator)"), "{}", r.text[0]);
        assert!(r.text[0].contains("aihubmix 1 (1 without a published price);"), "{}", r.text[0]);
    }
}
