//! Demo data: a deterministic, realistic province on the real divisions.
//!
//! [`plan`] is pure: from the urban communities, a seed, a size and "today" it lays out
//! every estate, building, house, owner, enterprise and contract. [`generate`] writes a
//! plan through the real import path (estates → enterprises → contracts → houses, the
//! houses in chunks), so the demo exercises exactly what a user's ledgers go through; a
//! validation error there is a bug of this generator and fails loudly.
//!
//! The story the dashboard tells: coverage differs by county — Yinchuan's 兴庆区 and 金凤区
//! near 85–90 %, 西夏区 about 75 %, Yinchuan's other counties about 60 %, the other cities'
//! districts 45–70 %, rural counties 25–50 % — so some regions are above the 70 % target
//! line and some below. Uncovered estates often have a contract that lapsed 1–18 months
//! ago; a few have one that starts in the future; a handful are still declared as managed
//! by an enterprise although no contract is in force (the registry flags those).

use crate::db::{Db, Result, StoreError};
use crate::import::{ImportError, ImportOptions, ImportReport, Progress, Quiet, import_table};
use crate::on;
use crate::region::{self, Region};
use chrono::{Datelike, Days, Months, NaiveDate};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use wuye_domain::ledger::{self, Cell, LayoutKind, Table};
use wuye_domain::registry::*;
use wuye_domain::synth::{self, Rng};
use wuye_domain::units::format_hundredths;

/// Number of estates in the database (demo data is generated only into an empty one).
pub async fn estate_count(db: &Db) -> Result<i64> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM estates").fetch_one(p).await)?)
}

/// What the generator wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub estates: u64,
    pub houses: u64,
    pub owners: u64,
    pub enterprises: u64,
    pub contracts: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "演示数据: 小区 {}，房屋 {}，业主 {}，企业 {}，合同 {}", self.estates, self.houses, self.owners, self.enterprises, self.contracts)
    }
}

/// Average houses per estate.
pub const HOUSES_PER_ESTATE: u64 = 300;
/// Houses per enterprise (at least [`MIN_ENTERPRISES`]).
pub const HOUSES_PER_ENTERPRISE: u64 = 1500;
pub const MIN_ENTERPRISES: u64 = 5;
/// House rows per import call (bounds memory and moves the progress bar).
pub const HOUSE_ROWS_PER_CHUNK: usize = 50_000;

/// A planned province: every record the demo writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub today: NaiveDate,
    pub estates: Vec<PlanEstate>,
    pub enterprises: Vec<PlanEnterprise>,
    pub contracts: Vec<PlanContract>,
    /// All houses, estate by estate (each estate's are `estate.houses`).
    pub houses: Vec<PlanHouse>,
    pub owners: Vec<PlanOwner>,
}

#[derive(Debug, Clone)]
pub struct PlanEstate {
    pub name: String,
    /// 12-digit community code.
    pub region_code: String,
    pub address: String,
    pub kind: EstateKind,
    pub year_built: i32,
    /// Hundredths of m².
    pub land_area: i64,
    /// Hundredths of m²: the houses' building areas plus 5–15 % common and ancillary area.
    pub building_area: i64,
    pub has_elevator: bool,
    pub management: ManagementMode,
    pub buildings: Vec<PlanBuilding>,
    /// Indexes into [`Plan::houses`].
    pub houses: Range<usize>,
    /// Whether a contract is in force on the plan's day.
    pub covered: bool,
}

#[derive(Debug, Clone)]
pub struct PlanBuilding {
    /// Building number as written (`"3"`, or `"地下车库"`).
    pub no: String,
    pub floors: Option<i32>,
    pub elevator: Option<bool>,
    /// Unit numbers as written in the ledger: `"1"`, `"2"`…, and `""` or `"0"` for the
    /// shops and garages that are not in a unit.
    pub units: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PlanHouse {
    pub estate: u32,
    pub building: u16,
    /// Index into the building's `units`.
    pub unit: u8,
    pub room_no: String,
    pub floor: i32,
    pub building_area: i64,
    pub exclusive_area: i64,
    pub house_use: HouseUse,
    pub status: HouseStatus,
    owners: [u32; 2],
}

const NO_OWNER: u32 = u32::MAX;

impl PlanHouse {
    /// Indexes into [`Plan::owners`] (none for unsold houses, two for co-owned ones).
    pub fn owners(&self) -> impl Iterator<Item = usize> + '_ {
        self.owners.iter().filter(|o| **o != NO_OWNER).map(|o| *o as usize)
    }
}

#[derive(Debug, Clone)]
pub struct PlanOwner {
    pub kind: OwnerKind,
    pub name: String,
    /// ID number (persons) or USCC (organisations).
    pub id: String,
    pub phone: Option<String>,
}

impl PlanOwner {
    /// The key the store identifies the owner by (`id:…` or `uscc:…`).
    pub fn key(&self) -> String {
        match self.kind {
            OwnerKind::Person => format!("id:{}", self.id),
            OwnerKind::Organisation => format!("uscc:{}", self.id),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlanEnterprise {
    pub name: String,
    pub uscc: String,
    pub legal_representative: String,
    /// 12-digit county code.
    pub region_code: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct PlanContract {
    pub estate: usize,
    pub enterprise: usize,
    pub kind: ContractKind,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub fee_fen_per_m2_month: i64,
    pub fee_model: FeeModel,
}

/// Target coverage (per mille of estates) of each county: the story the demo tells.
pub fn target_coverage_permille(county: &str) -> i64 {
    match county.get(..6).unwrap_or("") {
        "640104" => 880, // 兴庆区
        "640106" => 870, // 金凤区
        "640105" => 750, // 西夏区
        "640121" => 620, // 永宁县
        "640122" => 600, // 贺兰县
        "640181" => 580, // 灵武市
        "640202" => 680, // 大武口区
        "640205" => 560, // 惠农区
        "640302" => 650, // 利通区
        "640303" => 450, // 红寺堡区
        "640402" => 520, // 原州区
        "640502" => 620, // 沙坡头区
        "640221" => 420, // 平罗县
        "640323" => 380, // 盐池县
        "640324" => 300, // 同心县
        "640381" => 480, // 青铜峡市
        "640422" => 280, // 西吉县
        "640423" => 330, // 隆德县
        "640424" => 250, // 泾源县
        "640425" => 320, // 彭阳县
        "640521" => 450, // 中宁县
        "640522" => 270, // 海原县
        _ => 500,
    }
}

fn code12(prefix: &str) -> String {
    format!("{prefix:0<12}")
}

fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years)).unwrap_or(d)
}

fn minus_days(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_sub_days(Days::new(n.max(0) as u64)).unwrap_or(d)
}

fn plus_days(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_days(Days::new(n.max(0) as u64)).unwrap_or(d)
}

/// Weighted choice among `cum` (cumulative weights, last = total).
fn weighted(r: &mut Rng, cum: &[u64]) -> usize {
    let total = *cum.last().unwrap_or(&1);
    let x = r.below(total.max(1));
    cum.partition_point(|c| *c <= x).min(cum.len().saturating_sub(1))
}

/// Issues identifiers that are unique across the whole plan.
struct Issued(HashSet<String>);

impl Issued {
    fn id_number(&mut self, r: &mut Rng, county: &str) -> String {
        loop {
            let id = synth::random_id_number(r, county);
            if self.0.insert(id.clone()) {
                return id;
            }
        }
    }
    fn uscc(&mut self, r: &mut Rng, county: &str) -> String {
        loop {
            let u = synth::uscc(r, county);
            if self.0.insert(u.clone()) {
                return u;
            }
        }
    }
}

/// Lays out a province of about `houses` houses (exactly `houses`, at least 1) over the
/// urban `communities`. `names` maps 12-digit codes to region names (streets, counties and
/// cities are looked up). Pure: the same inputs give the same plan.
pub fn plan(communities: &[Region], names: &HashMap<String, String>, houses: u64, seed: u64, today: NaiveDate) -> Plan {
    let houses = houses.max(1) as usize;
    let name_of = |prefix: &str| names.get(&code12(prefix)).cloned().unwrap_or_default();
    let mut r = Rng::new(seed);
    let mut issued = Issued(HashSet::new());

    // 1. Where estates are: weighted towards Yinchuan's districts and towards urban
    //    streets (街道) and county seats.
    let mut seat: HashMap<&str, &str> = HashMap::new();
    for c in communities {
        let county = &c.code[..6];
        let street = &c.code[..9];
        if name_of(street).ends_with('镇') {
            let e = seat.entry(county).or_insert(street);
            if street < *e {
                *e = street;
            }
        }
    }
    let mut cum = Vec::with_capacity(communities.len());
    let mut total = 0u64;
    for c in communities {
        let county = &c.code[..6];
        let street = &c.code[..9];
        let city_w = match county {
            "640104" | "640105" | "640106" => 6,
            _ if county.starts_with("6401") => 3,
            _ if name_of(county).ends_with('区') => 3,
            _ => 2,
        };
        let street_w = if name_of(street).ends_with("街道") || seat.get(county) == Some(&street) { 4 } else { 1 };
        total += city_w * street_w;
        cum.push(total);
    }

    // 2. Estates: community, kind, year, name, relative size.
    let n_estates = ((houses as u64 + HOUSES_PER_ESTATE / 2) / HOUSES_PER_ESTATE).max(1) as usize;
    let mut estates: Vec<PlanEstate> = Vec::with_capacity(n_estates);
    let mut weights: Vec<u64> = Vec::with_capacity(n_estates);
    let mut taken: HashSet<(String, String)> = HashSet::new();
    for _ in 0..n_estates {
        let c = &communities[weighted(&mut r, &cum)];
        let kind = match r.below(100) {
            0..=54 => EstateKind::Commodity,
            55..=74 => EstateKind::Old,
            75..=86 => EstateKind::Resettlement,
            87..=92 => EstateKind::SingleBuilding,
            _ => EstateKind::Affordable,
        };
        let year_built = match kind {
            EstateKind::Old => r.range(1985, 2000),
            EstateKind::Commodity => r.range(2000, 2024),
            EstateKind::Resettlement => r.range(2008, 2022),
            EstateKind::SingleBuilding => r.range(1990, 2020),
            _ => r.range(2010, 2022),
        } as i32;
        let base = synth::estate_name(&mut r);
        let mut name = base.clone();
        let mut phase = 2;
        while !taken.insert((c.code.clone(), name.clone())) {
            const PHASES: [&str; 9] = ["二", "三", "四", "五", "六", "七", "八", "九", "十"];
            name = match PHASES.get(phase - 2) {
                Some(p) => format!("{base}{p}期"),
                None => format!("{base}{phase}期"),
            };
            phase += 1;
        }
        let county_name = name_of(&c.code[..6]);
        let address = synth::street_address(&mut r, &county_name);
        let kind_w: u64 = match kind {
            EstateKind::SingleBuilding => 300,
            EstateKind::Old => 700,
            EstateKind::Commodity => 1200,
            EstateKind::Resettlement => 1400,
            _ => 1000,
        };
        let x = r.below(1000);
        weights.push(kind_w * (300 + x * x / 400));
        estates.push(PlanEstate {
            name,
            region_code: c.code.clone(),
            address,
            kind,
            year_built,
            land_area: 0,
            building_area: 0,
            has_elevator: false,
            management: ManagementMode::None,
            buildings: Vec::new(),
            houses: 0..0,
            covered: false,
        });
    }
    // Sizes summing exactly to `houses`.
    let wsum: u64 = weights.iter().sum::<u64>().max(1);
    let mut targets: Vec<usize> = weights.iter().map(|w| (houses as u128 * *w as u128 / wsum as u128) as usize).collect();
    let mut short = houses - targets.iter().sum::<usize>();
    let mut i = 0;
    while short > 0 {
        targets[i % n_estates] += 1;
        short -= 1;
        i += 1;
    }

    // 3. Buildings, houses and owners.
    let mut plan_houses: Vec<PlanHouse> = Vec::with_capacity(houses);
    let mut owners: Vec<PlanOwner> = Vec::with_capacity(houses + houses / 16);
    let mut persons: Vec<u32> = Vec::new();
    let mut orgs: Vec<u32> = Vec::new();
    let this_year = today.year();
    for (ei, e) in estates.iter_mut().enumerate() {
        let t = targets[ei];
        let start = plan_houses.len();
        let county = e.region_code[..6].to_string();
        let county_name = name_of(&county);
        let (floor_opts, area_lo, area_hi): (&[i32], i64, i64) = match e.kind {
            EstateKind::Old => (&[6, 6, 6, 11], 5500, 9000),
            EstateKind::Commodity => (&[6, 11, 18, 18, 26, 33], 8000, 16000),
            EstateKind::Resettlement => (&[6, 11, 11, 18], 6000, 11000),
            EstateKind::SingleBuilding => (&[6, 11, 18, 26, 33], 6000, 14000),
            _ => (&[11, 18, 26], 5500, 8000),
        };
        const FLOORS: [i32; 5] = [6, 11, 18, 26, 33];
        let mut floors = *r.pick(floor_opts);
        let mut units = r.range(1, 4) as usize;
        let mut per_floor = r.range(2, 4) as usize;
        let garages = if e.kind == EstateKind::Commodity && e.year_built >= 2008 && t >= 60 && r.chance(1, 4) {
            (t / 10).clamp(4, 40)
        } else {
            0
        };
        let shops = if matches!(e.kind, EstateKind::Commodity | EstateKind::Resettlement | EstateKind::Old) && t >= 40 && r.chance(2, 5) {
            r.range(2, (t / 15).clamp(2, 12) as i64) as usize
        } else {
            0
        };
        let res = t - garages - shops;
        let (min_b, max_b) = if e.kind == EstateKind::SingleBuilding { (1, 1) } else { (2, 30) };
        let nb = |f: i32, u: usize, p: usize| res.div_ceil(f as usize * u * p).max(1);
        while nb(floors, units, per_floor) > max_b {
            if units < 4 {
                units += 1;
            } else if per_floor < 4 {
                per_floor += 1;
            } else if let Some(f) = FLOORS.iter().find(|f| **f > floors) {
                floors = *f;
            } else {
                break;
            }
        }
        while nb(floors, units, per_floor) < min_b {
            if units > 1 {
                units -= 1;
            } else if per_floor > 2 {
                per_floor -= 1;
            } else if let Some(f) = FLOORS.iter().rev().find(|f| **f < floors) {
                floors = *f;
            } else {
                break;
            }
        }
        let n_buildings = nb(floors, units, per_floor);
        let elevator = floors > 7;
        let zero_pad = r.chance(1, 5);
        let shop_unit = if r.chance(1, 2) { "" } else { "0" };
        let new_estate = e.year_built >= this_year - 3;
        let mut made = 0usize;
        let mut shops_left = shops;
        for b in 0..n_buildings {
            let mut bld = PlanBuilding { no: (b + 1).to_string(), floors: Some(floors), elevator: Some(elevator), units: Vec::new() };
            let bi = e.buildings.len() as u16;
            for u in 0..units {
                if made >= res {
                    break;
                }
                bld.units.push((u + 1).to_string());
                // The same flat type stacks up through the floors.
                let types: Vec<(i64, i64)> = (0..per_floor)
                    .map(|_| {
                        let a = r.range(area_lo, area_hi);
                        (a, a * r.range(7500, 9000) / 10_000)
                    })
                    .collect();
                'unit: for fl in 1..=floors {
                    for (k, (a, x)) in types.iter().enumerate() {
                        if made >= res {
                            break 'unit;
                        }
                        let room_no = if zero_pad { format!("{fl:02}{:02}", k + 1) } else { format!("{fl}{:02}", k + 1) };
                        let status = house_status(&mut r, new_estate, HouseUse::Residential);
                        plan_houses.push(PlanHouse {
                            estate: ei as u32,
                            building: bi,
                            unit: (bld.units.len() - 1) as u8,
                            room_no,
                            floor: fl,
                            building_area: *a,
                            exclusive_area: *x,
                            house_use: HouseUse::Residential,
                            status,
                            owners: [NO_OWNER; 2],
                        });
                        made += 1;
                    }
                }
            }
            // Street-front shops in the first buildings.
            let here = if b + 1 == n_buildings { shops_left } else { shops_left.min(6) };
            if here > 0 {
                bld.units.push(shop_unit.to_string());
                for s in 0..here {
                    let a = r.range(4000, 20000);
                    plan_houses.push(PlanHouse {
                        estate: ei as u32,
                        building: bi,
                        unit: (bld.units.len() - 1) as u8,
                        room_no: format!("S{:02}", s + 1),
                        floor: 1,
                        building_area: a,
                        exclusive_area: a * r.range(7500, 9000) / 10_000,
                        house_use: HouseUse::Commercial,
                        status: house_status(&mut r, new_estate, HouseUse::Commercial),
                        owners: [NO_OWNER; 2],
                    });
                }
                shops_left -= here;
            }
            e.buildings.push(bld);
        }
        if garages > 0 {
            let bi = e.buildings.len() as u16;
            e.buildings.push(PlanBuilding { no: "地下车库".into(), floors: None, elevator: None, units: vec![String::new()] });
            for g in 0..garages {
                let a = r.range(1500, 4500);
                plan_houses.push(PlanHouse {
                    estate: ei as u32,
                    building: bi,
                    unit: 0,
                    room_no: format!("C{:03}", g + 1),
                    floor: -1,
                    building_area: a,
                    exclusive_area: a * r.range(8000, 9000) / 10_000,
                    house_use: HouseUse::Garage,
                    status: house_status(&mut r, new_estate, HouseUse::Garage),
                    owners: [NO_OWNER; 2],
                });
            }
        }
        // Owners.
        for h in &mut plan_houses[start..] {
            if h.status == HouseStatus::Unsold {
                continue;
            }
            let org_chance = match h.house_use {
                HouseUse::Commercial => 25,
                HouseUse::Garage => 3,
                _ => 1,
            };
            if r.chance(org_chance, 100) {
                let o = if !orgs.is_empty() && r.chance(3, 10) {
                    orgs[r.below(orgs.len() as u64) as usize]
                } else {
                    let uscc = issued.uscc(&mut r, &county);
                    let name = synth::organisation_name(&mut r, &county_name);
                    let phone = Some(synth::landline(&mut r, &county));
                    owners.push(PlanOwner { kind: OwnerKind::Organisation, name, id: uscc, phone });
                    orgs.push((owners.len() - 1) as u32);
                    (owners.len() - 1) as u32
                };
                h.owners[0] = o;
                continue;
            }
            let mut new_person = |r: &mut Rng, owners: &mut Vec<PlanOwner>, persons: &mut Vec<u32>| -> u32 {
                let id = issued.id_number(r, &county);
                let name = synth::person_name(r);
                let phone = if r.chance(92, 100) { Some(synth::phone(r)) } else { None };
                owners.push(PlanOwner { kind: OwnerKind::Person, name, id, phone });
                persons.push((owners.len() - 1) as u32);
                (owners.len() - 1) as u32
            };
            let first = if !persons.is_empty() && r.chance(3, 100) {
                persons[r.below(persons.len() as u64) as usize]
            } else {
                new_person(&mut r, &mut owners, &mut persons)
            };
            h.owners[0] = first;
            if h.house_use == HouseUse::Residential && r.chance(5, 100) {
                h.owners[1] = new_person(&mut r, &mut owners, &mut persons);
            }
        }
        e.houses = start..plan_houses.len();
        let sum: i64 = plan_houses[start..].iter().map(|h| h.building_area).sum();
        e.building_area = sum * r.range(1050, 1150) / 1000;
        let far = match floors {
            6 => r.range(1100, 1800),
            11 => r.range(1600, 2500),
            _ => r.range(2000, 3500),
        };
        e.land_area = (e.building_area * 1000 / far).max(100);
        e.has_elevator = elevator;
    }

    // 4. Enterprises, registered where the estates are.
    let n_firms = (houses as u64 / HOUSES_PER_ENTERPRISE).max(MIN_ENTERPRISES) as usize;
    let mut enterprises: Vec<PlanEnterprise> = Vec::with_capacity(n_firms);
    let mut firm_names: HashSet<String> = HashSet::new();
    let mut by_county: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_city: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for fi in 0..n_firms {
        let county = estates[r.below(n_estates as u64) as usize].region_code[..6].to_string();
        let county_name = name_of(&county);
        let city_name = name_of(&county[..4]);
        let mut name = String::new();
        for attempt in 0..40 {
            let place = match attempt {
                0..=9 => county_name.as_str(),
                10..=19 => city_name.as_str(),
                _ => "宁夏",
            };
            let n = synth::enterprise_name(&mut r, place);
            if !firm_names.contains(&n) {
                name = n;
                break;
            }
        }
        if name.is_empty() {
            // A branch of a firm registered elsewhere.
            let head = synth::enterprise_name(&mut r, "宁夏");
            name = format!("{head}{}第{}分公司", county_name.trim_end_matches(['市', '县', '区']), fi + 1);
        }
        firm_names.insert(name.clone());
        let uscc = issued.uscc(&mut r, &county);
        let contact_phone = if r.chance(3, 5) { synth::landline(&mut r, &county) } else { synth::phone(&mut r) };
        enterprises.push(PlanEnterprise {
            name,
            uscc,
            legal_representative: synth::person_name(&mut r),
            region_code: code12(&county),
            contact_person: synth::person_name(&mut r),
            contact_phone,
            address: synth::street_address(&mut r, &county_name),
        });
        by_county.entry(county.clone()).or_default().push(fi);
        by_city.entry(county[..4].to_string()).or_default().push(fi);
    }
    let pick_firm = |r: &mut Rng, county: &str| -> usize {
        if let Some(v) = by_county.get(county).filter(|_| r.chance(3, 4)) {
            return *r.pick(v);
        }
        if let Some(v) = by_city.get(&county[..4]).filter(|_| r.chance(4, 5)) {
            return *r.pick(v);
        }
        r.below(n_firms as u64) as usize
    };

    // 5. Which estates are covered: per county, the target share of its estates,
    //    commodity and affordable estates first, old estates and single buildings last.
    let mut in_county: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in estates.iter().enumerate() {
        in_county.entry(e.region_code[..6].to_string()).or_default().push(i);
    }
    for (county, idx) in &in_county {
        let p = (target_coverage_permille(county) + r.range(-30, 30)).clamp(0, 1000);
        let k = ((p * idx.len() as i64 + 500) / 1000) as usize;
        let mut scored: Vec<(i64, usize)> = idx
            .iter()
            .map(|&i| {
                let bonus = match estates[i].kind {
                    EstateKind::Commodity => 350,
                    EstateKind::Affordable => 250,
                    EstateKind::Resettlement => 100,
                    EstateKind::Old => -150,
                    _ => -250,
                };
                (r.range(0, 999) + bonus, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i) in scored.into_iter().take(k) {
            estates[i].covered = true;
        }
    }

    // 6. Contracts and the declared management.
    let mut contracts: Vec<PlanContract> = Vec::new();
    let mut lapsed: Vec<usize> = Vec::new();
    let mut mismatches = 0usize;
    for (i, e) in estates.iter_mut().enumerate() {
        let county = e.region_code[..6].to_string();
        let (ekind, year_built) = (e.kind, e.year_built);
        let built = plus_days(NaiveDate::from_ymd_opt(year_built, 1, 1).unwrap_or(today), r.range(0, 300));
        let fee = |r: &mut Rng| -> i64 {
            let (lo, hi) = match ekind {
                EstateKind::Old => (50, 100),
                EstateKind::Resettlement => (60, 120),
                EstateKind::Affordable => (60, 110),
                EstateKind::SingleBuilding => (80, 200),
                _ => (100, 280),
            };
            r.range(lo, hi) / 5 * 5
        };
        let model = |r: &mut Rng| if r.chance(17, 100) { FeeModel::Commission } else { FeeModel::LumpSum };
        if e.covered {
            e.management = ManagementMode::Enterprise;
            let young = year_built >= today.year() - 4;
            let kind = if (young && r.chance(4, 5)) || (!young && r.chance(1, 5)) { ContractKind::Preliminary } else { ContractKind::Regular };
            let earliest = built.max(today.with_year(today.year() - 8).unwrap_or(today));
            let span = (today - earliest).num_days();
            let mut start = match kind {
                ContractKind::Preliminary if earliest <= today => earliest,
                _ if span > 30 => minus_days(today, r.range(30, span)),
                _ => minus_days(today, r.range(0, span.max(0))),
            };
            let open = if kind == ContractKind::Preliminary { r.chance(1, 2) } else { r.chance(1, 4) };
            let end = if open {
                None
            } else {
                let term = *r.pick(&[1u32, 2, 3, 3, 5]);
                let mut end = minus_days(add_years(start, term), 1);
                while end < today {
                    start = plus_days(end, 1);
                    end = minus_days(add_years(start, term), 1);
                }
                Some(end)
            };
            // Often a preliminary contract came before the owners chose their own.
            let prev_start = built.max(start.with_year(start.year() - 6).unwrap_or(start));
            if kind == ContractKind::Regular && r.chance(1, 3) && prev_start < start {
                contracts.push(PlanContract {
                    estate: i,
                    enterprise: pick_firm(&mut r, &county),
                    kind: ContractKind::Preliminary,
                    start: prev_start,
                    end: Some(minus_days(start, 1)),
                    fee_fen_per_m2_month: fee(&mut r),
                    fee_model: FeeModel::LumpSum,
                });
            }
            contracts.push(PlanContract {
                estate: i,
                enterprise: pick_firm(&mut r, &county),
                kind,
                start,
                end,
                fee_fen_per_m2_month: fee(&mut r),
                fee_model: model(&mut r),
            });
        } else {
            e.management = if r.chance(35, 100) { ManagementMode::SelfManaged } else { ManagementMode::None };
            let roll = r.below(100);
            if roll < 45 {
                // Lapsed 1–18 months ago.
                let end = minus_days(today, r.range(30, 540));
                let term = *r.pick(&[1u32, 2, 3, 5]);
                let mut start = plus_days(end.checked_sub_months(Months::new(12 * term)).unwrap_or(end), 1);
                if start < built {
                    start = built;
                }
                if start > end {
                    start = minus_days(end, 365);
                }
                let kind = if r.chance(1, 2) { ContractKind::Preliminary } else { ContractKind::Regular };
                contracts.push(PlanContract {
                    estate: i,
                    enterprise: pick_firm(&mut r, &county),
                    kind,
                    start,
                    end: Some(end),
                    fee_fen_per_m2_month: fee(&mut r),
                    fee_model: model(&mut r),
                });
                lapsed.push(i);
                if r.chance(1, 10) {
                    e.management = ManagementMode::Enterprise;
                    mismatches += 1;
                }
            } else if roll < 50 {
                // Signed, starting soon.
                let start = plus_days(today, r.range(1, 120));
                let end = if r.chance(1, 3) { None } else { Some(minus_days(add_years(start, 3), 1)) };
                let kind = if r.chance(7, 10) { ContractKind::Preliminary } else { ContractKind::Regular };
                contracts.push(PlanContract {
                    estate: i,
                    enterprise: pick_firm(&mut r, &county),
                    kind,
                    start,
                    end,
                    fee_fen_per_m2_month: fee(&mut r),
                    fee_model: model(&mut r),
                });
            }
        }
    }
    if mismatches == 0
        && let Some(&i) = lapsed.first()
    {
        estates[i].management = ManagementMode::Enterprise;
    }

    Plan { today, estates, enterprises, contracts, houses: plan_houses, owners }
}

fn house_status(r: &mut Rng, new_estate: bool, use_: HouseUse) -> HouseStatus {
    let (unsold, sold) = match (use_, new_estate) {
        (HouseUse::Garage, _) => (45, 5),
        (HouseUse::Commercial, _) => (10, 5),
        (_, true) => (12, 20),
        (_, false) => (2, 4),
    };
    let x = r.below(100);
    if x < unsold {
        HouseStatus::Unsold
    } else if x < unsold + sold {
        HouseStatus::Sold
    } else {
        HouseStatus::Delivered
    }
}

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() { Cell::Empty } else { Cell::Text(s) }
}

fn table(layout: ledger::Layout, rows: Vec<Vec<Cell>>) -> Table {
    Table {
        sheet: layout.sheet.to_string(),
        headers: layout.headers().iter().map(|h| h.to_string()).collect(),
        rows: rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect(),
    }
}

impl Plan {
    /// The estates ledger (ESTATES layout).
    pub fn estates_table(&self) -> Table {
        let rows = self
            .estates
            .iter()
            .map(|e| {
                vec![
                    text(e.name.as_str()),
                    text(e.region_code.as_str()),
                    Cell::Empty,
                    text(e.address.as_str()),
                    text(e.kind.label_zh()),
                    text(e.year_built.to_string()),
                    text(format_hundredths(e.land_area)),
                    text(format_hundredths(e.building_area)),
                    text(if e.has_elevator { "有" } else { "无" }),
                    text(e.management.label_zh()),
                ]
            })
            .collect();
        table(ledger::ESTATES, rows)
    }

    /// The enterprises ledger (ENTERPRISES layout).
    pub fn enterprises_table(&self) -> Table {
        let rows = self
            .enterprises
            .iter()
            .map(|f| {
                vec![
                    text(f.name.as_str()),
                    text(f.uscc.as_str()),
                    text(f.legal_representative.as_str()),
                    text(f.region_code.as_str()),
                    Cell::Empty,
                    text(f.contact_person.as_str()),
                    text(f.contact_phone.as_str()),
                    text(f.address.as_str()),
                ]
            })
            .collect();
        table(ledger::ENTERPRISES, rows)
    }

    /// The contracts ledger (CONTRACTS layout).
    pub fn contracts_table(&self) -> Table {
        let rows = self
            .contracts
            .iter()
            .map(|c| {
                let e = &self.estates[c.estate];
                let f = &self.enterprises[c.enterprise];
                vec![
                    text(e.name.as_str()),
                    text(e.region_code.as_str()),
                    text(f.uscc.as_str()),
                    text(f.name.as_str()),
                    text(c.kind.label_zh()),
                    text(c.start.to_string()),
                    c.end.map(|d| text(d.to_string())).unwrap_or(Cell::Empty),
                    text(format_hundredths(c.fee_fen_per_m2_month)),
                    text(c.fee_model.label_zh()),
                ]
            })
            .collect();
        table(ledger::CONTRACTS, rows)
    }

    /// Number of ledger rows of the houses (one per house and owner, one for a house
    /// without owner).
    pub fn house_row_count(&self, houses: Range<usize>) -> usize {
        self.houses[houses].iter().map(|h| h.owners().count().max(1)).sum()
    }

    /// Calls `f` with each ledger row (HOUSES layout, 16 columns) of `houses`.
    pub fn for_each_house_row(&self, houses: Range<usize>, mut f: impl FnMut(&[Cow<'_, str>; 16])) {
        for h in &self.houses[houses] {
            let e = &self.estates[h.estate as usize];
            let b = &e.buildings[h.building as usize];
            let mut rec: [Cow<'_, str>; 16] = [
                Cow::Borrowed(e.name.as_str()),
                Cow::Borrowed(e.region_code.as_str()),
                Cow::Borrowed(b.no.as_str()),
                Cow::Borrowed(b.units[h.unit as usize].as_str()),
                Cow::Borrowed(h.room_no.as_str()),
                Cow::Owned(h.floor.to_string()),
                b.floors.map(|f| Cow::Owned(f.to_string())).unwrap_or(Cow::Borrowed("")),
                Cow::Borrowed(match b.elevator {
                    Some(true) => "有",
                    Some(false) => "无",
                    None => "",
                }),
                Cow::Owned(format_hundredths(h.building_area)),
                Cow::Owned(format_hundredths(h.exclusive_area)),
                Cow::Borrowed(h.house_use.label_zh()),
                Cow::Borrowed(h.status.label_zh()),
                Cow::Borrowed(""),
                Cow::Borrowed(""),
                Cow::Borrowed(""),
                Cow::Borrowed(""),
            ];
            let mut any = false;
            for o in h.owners() {
                let o = &self.owners[o];
                rec[12] = Cow::Borrowed(o.kind.label_zh());
                rec[13] = Cow::Borrowed(o.name.as_str());
                rec[14] = Cow::Borrowed(o.id.as_str());
                rec[15] = Cow::Borrowed(o.phone.as_deref().unwrap_or(""));
                f(&rec);
                any = true;
            }
            if !any {
                f(&rec);
            }
        }
    }

    /// The houses ledger (HOUSES layout) of `houses`; rows are numbered from `first_row`.
    pub fn houses_table(&self, houses: Range<usize>, first_row: usize) -> Table {
        let mut rows = Vec::with_capacity(self.house_row_count(houses.clone()));
        self.for_each_house_row(houses, |rec| {
            rows.push((first_row + rows.len(), rec.iter().map(|c| text(c.as_ref())).collect::<Vec<Cell>>()));
        });
        Table { sheet: ledger::HOUSES.sheet.to_string(), headers: ledger::HOUSES.headers().iter().map(|h| h.to_string()).collect(), rows }
    }

    /// Writes the houses ledger of all houses as UTF-8 CSV (header row first).
    pub fn write_houses_csv(&self, w: impl std::io::Write) -> std::result::Result<(), csv::Error> {
        let mut out = csv::WriterBuilder::new().from_writer(w);
        out.write_record(ledger::HOUSES.headers())?;
        let mut err = None;
        self.for_each_house_row(0..self.houses.len(), |rec| {
            if err.is_none()
                && let Err(e) = out.write_record(rec.iter().map(|c| c.as_bytes()))
            {
                err = Some(e);
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        out.flush()?;
        Ok(())
    }

    /// Runs of whole estates whose houses make about `rows` ledger rows each.
    pub fn house_chunks(&self, rows: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut n = 0;
        for e in &self.estates {
            n += self.house_row_count(e.houses.clone());
            if n >= rows {
                out.push(start..e.houses.end);
                start = e.houses.end;
                n = 0;
            }
        }
        if start < self.houses.len() {
            out.push(start..self.houses.len());
        }
        out
    }
}

/// Plans a province on the urban communities stored in `db` (see [`plan`]).
pub async fn plan_for(db: &Db, houses: u64, seed: u64, today: NaiveDate) -> Result<Plan> {
    region::ensure_default_regions(db).await?;
    let communities = region::urban_communities(db).await?;
    if communities.is_empty() {
        return Err(StoreError::Invalid("没有城市社区（名称含 社区/居委会 的村/社区级区划），无法生成演示小区".into()));
    }
    let names = region::names(db).await?;
    Ok(plan(&communities, &names, houses, seed, today))
}

/// Imports one generated ledger; any validation error is a bug of the generator.
pub async fn import_generated(db: &Db, table: &Table, layout: LayoutKind, today: NaiveDate) -> Result<ImportReport> {
    let opts = ImportOptions {
        layout,
        estate_id: None,
        skip_invalid: false,
        replace_owners: false,
        file_name: format!("demo-{}.csv", import_name(layout)),
        today,
    };
    match import_table(db, &crate::access::Access::system("demo"), table, &opts, &Quiet).await {
        Ok(r) => Ok(r),
        Err(ImportError::Rejected(r)) => {
            let first: Vec<String> = r.errors.iter().take(10).map(|e| e.to_string()).collect();
            Err(StoreError::Invalid(format!(
                "演示数据生成器缺陷：生成的{}台账有 {} 处校验错误（前 {} 处）：\n{}",
                ledger_title(layout),
                r.errors.len(),
                first.len(),
                first.join("\n")
            )))
        }
        Err(ImportError::File(s)) => Err(StoreError::Invalid(format!("演示数据生成器缺陷：{}台账: {s}", ledger_title(layout)))),
        Err(ImportError::Store(e)) => Err(e),
    }
}

fn import_name(layout: LayoutKind) -> &'static str {
    match layout {
        LayoutKind::Estates => "estates",
        LayoutKind::Houses => "houses",
        LayoutKind::Enterprises => "enterprises",
        LayoutKind::Contracts => "contracts",
        LayoutKind::HcRooms => "hc-rooms",
    }
}

fn ledger_title(layout: LayoutKind) -> &'static str {
    crate::import::layout_of(layout).title
}

/// Writes the plan's estates, enterprises and contracts through the import path.
pub async fn write_registry(db: &Db, plan: &Plan, progress: &dyn Progress) -> Result<()> {
    progress.phase("小区", 3);
    import_generated(db, &plan.estates_table(), LayoutKind::Estates, plan.today).await?;
    progress.inc(1);
    import_generated(db, &plan.enterprises_table(), LayoutKind::Enterprises, plan.today).await?;
    progress.inc(1);
    import_generated(db, &plan.contracts_table(), LayoutKind::Contracts, plan.today).await?;
    progress.inc(1);
    Ok(())
}

/// Writes the plan's houses and owners through the import path, a chunk of whole estates
/// at a time.
pub async fn write_houses(db: &Db, plan: &Plan, progress: &dyn Progress) -> Result<()> {
    progress.phase("房屋", plan.houses.len() as u64);
    let mut first_row = 2;
    for chunk in plan.house_chunks(HOUSE_ROWS_PER_CHUNK) {
        let t = plan.houses_table(chunk.clone(), first_row);
        first_row += t.rows.len();
        import_generated(db, &t, LayoutKind::Houses, plan.today).await?;
        progress.inc(chunk.len() as u64);
    }
    Ok(())
}

async fn count(db: &Db, table: &str) -> Result<u64> {
    let sql = crate::db::dynamic(format!("SELECT COUNT(*) FROM {table}"));
    let n: i64 = on!(db, p => sqlx::query_scalar(sql).fetch_one(p).await)?;
    Ok(n as u64)
}

/// Counts of what the registry holds (the demo report's fields).
pub async fn counts(db: &Db) -> Result<DemoReport> {
    Ok(DemoReport {
        estates: count(db, "estates").await?,
        houses: count(db, "houses").await?,
        owners: count(db, "owners").await?,
        enterprises: count(db, "enterprises").await?,
        contracts: count(db, "service_contracts").await?,
    })
}

/// Generates a province of `houses` houses (at least 1) into an empty database, through
/// the import path. The same `seed`, `houses` and `today` give the same data.
/// Errors: the database already has estates; a generated row fails validation (a bug).
pub async fn generate(db: &Db, houses: u64, seed: u64, today: NaiveDate, progress: &dyn Progress) -> Result<DemoReport> {
    region::ensure_default_regions(db).await?;
    if estate_count(db).await? > 0 {
        return Err(StoreError::Invalid("数据库中已有小区；演示数据只生成到空库".into()));
    }
    progress.phase("规划", 0);
    let plan = plan_for(db, houses, seed, today).await?;
    write_registry(db, &plan, progress).await?;
    write_houses(db, &plan, progress).await?;
    counts(db).await
}

/// The estate the demo's committee member and owner are bound to ([`demo_users`]): the
/// first covered estate of 兴庆区 (else the first covered one), with its enterprise and its
/// community code, as of `day`.
pub async fn showcase_estate(db: &Db, day: NaiveDate) -> Result<Option<(i64, i64, String)>> {
    Ok(on!(db, p => sqlx::query_as(
        "SELECT e.id, c.enterprise_id, e.region_code FROM estates e JOIN service_contracts c ON c.estate_id = e.id
         WHERE c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1) ORDER BY CASE WHEN e.region_code LIKE '640104%' THEN 0 ELSE 1 END, e.id LIMIT 1")
        .bind(day).fetch_optional(p).await)?)
}

/// The demo's deposit rates for Ningxia (fen per m² of building area), from 2000: the
/// example standard of rules.md §2.1, 80 元/m² with elevator and 40 元/m² without.
pub const DEMO_RATE_ELEVATOR: i64 = 8_000;
pub const DEMO_RATE_NO_ELEVATOR: i64 = 4_000;

/// What [`write_assembly_and_fund`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssemblyFundReport {
    pub votes: u64,
    pub ballots: u64,
    pub fund_accounts: u64,
    pub households: u64,
    pub fund_uses: u64,
}

impl std::fmt::Display for AssemblyFundReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "业主大会与维修资金: 表决 {}，表决票 {}，维修资金账户 {}，分户账 {}，维修资金使用 {}", self.votes, self.ballots, self.fund_accounts, self.households, self.fund_uses)
    }
}

/// At most this many fund accounts, whatever the scale (the step stays a matter of seconds).
pub const MAX_DEMO_FUND_ACCOUNTS: usize = 200;

/// A deterministic mix of a salt and an index (splitmix64), for "random" choices that
/// replay.
fn mix(salt: u64, i: u64) -> u64 {
    let mut z = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How the demo's voters of one vote behave, in percent: who takes part, and of those,
/// who agrees and who disagrees on each matter (the rest abstain).
#[derive(Clone, Copy)]
struct Turnout {
    take_part: u64,
    agree: u64,
    disagree: u64,
    salt: u64,
}

/// Enters paper and proxy ballots of an open vote as its committee would, on `day`;
/// the voter holding `skip_owner` is left to vote online. Returns the ballots cast.
async fn demo_ballots(db: &Db, sys: &crate::access::Access, vote_id: i64, day: NaiveDate, t: Turnout, skip_owner: Option<i64>) -> Result<u64> {
    use crate::assembly::{self, Method};
    use wuye_domain::assembly::{Choice, VoterId};
    let el = assembly::electorate(db, sys, vote_id, day).await?;
    let matters: Vec<u32> = assembly::matters(db, sys, vote_id, day).await?.iter().map(|(m, _)| m.no).collect();
    let mut n = 0;
    for (i, v) in el.voters.iter().enumerate() {
        let i = i as u64;
        if skip_owner.is_some_and(|o| v.owner_ids.contains(&o)) || mix(t.salt, i) % 100 >= t.take_part {
            continue;
        }
        let choices: BTreeMap<u32, Choice> = matters
            .iter()
            .map(|no| {
                let r = mix(t.salt ^ (u64::from(*no) << 32), i) % 100;
                (*no, if r < t.agree { Choice::Agree } else if r < t.agree + t.disagree { Choice::Disagree } else { Choice::Abstain })
            })
            .collect();
        let method = if i % 4 == 1 && v.id != VoterId::Developer {
            Method::Proxy { voter: v.id, authorisation: "业主书面授权委托书（原件存业主委员会）".into() }
        } else {
            Method::Paper { voter: v.id, scan: assembly::Scan { file_name: format!("纸质表决票-{}.pdf", v.id.code()), bytes: DEMO_SCAN.to_vec() } }
        };
        assembly::cast(db, sys, vote_id, &method, &choices, day).await?;
        n += 1;
    }
    Ok(n)
}

/// The scan attached to the demo's paper ballots: a minimal PDF.
const DEMO_SCAN: &[u8] = b"%PDF-1.4\n% Wuye demo paper ballot\n%%EOF\n";

/// How far a demo vote goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Draft,
    Announced,
    Open,
    Published,
}

/// Drafts a vote opening `opens` days from `today` (negative: in the past) for 14 days, and
/// takes it through the lifecycle up to `stage` on the days it would have happened: drafted
/// 30 days and announced 20 days before opening (the notice is 15 days), ballots the day
/// after opening, closed and published on the closing day.
#[allow(clippy::too_many_arguments)]
async fn demo_vote(
    db: &Db,
    sys: &crate::access::Access,
    estate: i64,
    title: &str,
    matters: Vec<(wuye_domain::assembly::MatterKind, String)>,
    today: NaiveDate,
    opens: i64,
    stage: Stage,
    turnout: Turnout,
    skip_owner: Option<i64>,
    report: &mut AssemblyFundReport,
) -> Result<i64> {
    use crate::assembly::{self, NewVote};
    let day = |d: i64| today.checked_add_signed(chrono::Duration::days(d)).unwrap_or(today);
    let (opens_on, closes_on) = (day(opens), day(opens + 14));
    let created = if stage == Stage::Draft { today } else { day(opens - 30).min(today) };
    let v = NewVote { title: title.into(), rule_set_code: None, opens_on, closes_on, matters };
    let id = assembly::create_vote(db, sys, estate, &v, created).await?;
    report.votes += 1;
    if stage == Stage::Draft {
        return Ok(id);
    }
    assembly::announce(db, sys, id, day(opens - 20).min(today)).await?;
    if stage == Stage::Announced {
        return Ok(id);
    }
    assembly::open(db, sys, id, opens_on).await?;
    report.ballots += demo_ballots(db, sys, id, day(opens + 1).min(today), turnout, skip_owner).await?;
    if stage == Stage::Open {
        return Ok(id);
    }
    assembly::close(db, sys, id, closes_on).await?;
    assembly::publish(db, sys, id, closes_on).await?;
    Ok(id)
}

/// The largest amount (fen) that can be charged to these household accounts by exclusive
/// area without taking any below zero, less a tenth: `(balance, area)` per house.
fn chargeable(rows: &[(i64, i64)]) -> i64 {
    let total_area: i64 = rows.iter().map(|r| r.1).sum();
    let bound = rows.iter().filter(|r| r.1 > 0).map(|(b, a)| (*b as i128 * total_area as i128 / *a as i128) as i64).min().unwrap_or(0);
    bound / 10 * 9
}

/// `(balance, exclusive area)` of the household accounts of these houses of an estate.
async fn scope_balances(db: &Db, sys: &crate::access::Access, estate: i64, ids: &[i64], today: NaiveDate) -> Result<Vec<(i64, i64)>> {
    let hs = crate::fund::households(db, sys, estate, today).await?;
    let areas: HashMap<i64, i64> = on!(db, p => sqlx::query_as::<_, (i64, i64)>("SELECT id, exclusive_area FROM houses WHERE estate_id = $1").bind(estate).fetch_all(p).await)?.into_iter().collect();
    Ok(hs.iter().filter(|h| ids.contains(&h.house_id)).map(|h| (h.balance, areas.get(&h.house_id).copied().unwrap_or(0))).collect())
}

/// Makes the owners' assembly and the maintenance fund visible in the demo, through the
/// store's own functions (audited, balanced): Ningxia's deposit rates; fund accounts for
/// about a third of the estates, always the [`showcase_estate`]; initial deposits (most in
/// full, some in part, a few below the 30 % top-up line); one interest allocation per
/// account; on the showcase estate fund uses in every state (an ordinary use passed by the
/// owners and disclosed, an emergency use confirmed, charged and disclosed, one in voting,
/// one applied for) and votes in every state (published passed, published failed for want
/// of quorum, open with ballots but none of the demo owner's, announced, draft); and on
/// four small estates of other counties a passed, a rejected, an open and an announced
/// vote. Dates lie in the past as the steps would have happened. Deterministic. Run after
/// [`generate`] (the `wuye demo` and `wuye serve --demo` commands do).
pub async fn write_assembly_and_fund(db: &Db, today: NaiveDate, progress: &dyn Progress) -> Result<AssemblyFundReport> {
    use crate::fund::{self, NewFundUse};
    use wuye_domain::assembly::MatterKind;
    use wuye_domain::fund::EmergencyKind;
    let mut report = AssemblyFundReport::default();
    let sys = crate::access::Access::system("demo");
    let Some((show, _, _)) = showcase_estate(db, today).await? else { return Ok(report) };
    let day = |d: i64| today.checked_add_signed(chrono::Duration::days(d)).unwrap_or(today);
    let since = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today);
    fund::set_rate(db, &sys, "64", true, DEMO_RATE_ELEVATOR, since).await?;
    fund::set_rate(db, &sys, "64", false, DEMO_RATE_NO_ELEVATOR, since).await?;

    let estates: Vec<(i64, i64, String)> = on!(db, p => sqlx::query_as("SELECT id, house_count, region_code FROM estates WHERE house_count > 0 ORDER BY id").fetch_all(p).await)?;
    let mut with_fund: Vec<i64> = estates.iter().filter(|e| e.0 != show && e.0 % 3 == 0).map(|e| e.0).take(MAX_DEMO_FUND_ACCOUNTS - 1).collect();
    with_fund.insert(0, show);
    progress.phase("维修资金", with_fund.len() as u64);
    for (k, eid) in with_fund.iter().enumerate() {
        // Opened 3 to 4 years ago; deposits three weeks later; interest at the end of last June.
        let opened = day(-(3 * 365 + (*eid % 12) * 30));
        report.households += fund::open_accounts(db, &sys, *eid, opened).await? as u64;
        report.fund_accounts += 1;
        let rows: Vec<(i64, i64, String)> = fund::households(db, &sys, *eid, opened)
            .await?
            .into_iter()
            .map(|h| {
                let r = mix(0xF00D ^ k as u64, h.house_id as u64) % 100;
                // 6 % paid a quarter (below the 30 % line), 10 % three fifths, the rest in full.
                let amount = if r < 6 { h.initial_deposit / 4 } else if r < 16 { h.initial_deposit * 3 / 5 } else { h.initial_deposit };
                let payer = if h.owner_snapshot.is_empty() { "开发建设单位".to_string() } else { h.owner_snapshot };
                (h.house_id, amount, payer)
            })
            .filter(|r| r.1 > 0)
            .collect();
        fund::deposit_many(db, &sys, *eid, &rows, day(-(3 * 365 + (*eid % 12) * 30) + 21)).await?;
        let balance = fund::account_balance(db, &sys, *eid, today).await?;
        let june = NaiveDate::from_ymd_opt(today.year() - 1, 6, 30).unwrap_or(today);
        if balance > 0 {
            // 1.35 % a year, a current-account rate.
            fund::allocate_interest(db, &sys, *eid, (balance * 135 / 10_000).max(1), wuye_domain::fund::InterestMethod::ByBalance, june).await?;
        }
        progress.inc(1);
    }

    progress.phase("业主大会表决", 0);
    // The demo owner (the smallest owner id of the showcase estate) votes online themself.
    let demo_owner: Option<i64> = on!(db, p => sqlx::query_scalar(
        "SELECT w.owner_id FROM ownerships w JOIN houses h ON h.id = w.house_id WHERE h.estate_id = $1 ORDER BY w.owner_id LIMIT 1")
        .bind(show).fetch_optional(p).await)?;
    // Fund uses of the showcase estate, a building each (the first four buildings, or the
    // first again when there are fewer).
    let houses: Vec<(i64, i64)> = on!(db, p => sqlx::query_as("SELECT building_id, id FROM houses WHERE estate_id = $1 ORDER BY building_id, id").bind(show).fetch_all(p).await)?;
    let mut by_building: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (b, h) in &houses {
        by_building.entry(*b).or_default().push(*h);
    }
    let buildings: Vec<Vec<i64>> = by_building.into_values().collect();
    let building = |i: usize| buildings.get(i).or(buildings.first()).cloned().unwrap_or_default();
    let sys = &sys;

    // 1. An ordinary use: applied for, passed by the owners of the building, paid,
    //    charged by area and disclosed.
    let scope = building(0);
    let budget = (150_000 * scope.len() as i64).min(chargeable(&scope_balances(db, sys, show, &scope, today).await?));
    if budget > 0 {
        let u = NewFundUse { project: "1号楼屋面防水层翻新".into(), budget, house_ids: scope.clone(), emergency: None };
        let uid = fund::apply_use(db, sys, show, &u, day(-150)).await?;
        let vid = fund::submit_to_vote(db, sys, uid, day(-120), day(-106), day(-150)).await?;
        report.votes += 1;
        crate::assembly::announce(db, sys, vid, day(-140)).await?;
        crate::assembly::open(db, sys, vid, day(-120)).await?;
        report.ballots += demo_ballots(db, sys, vid, day(-115), Turnout { take_part: 92, agree: 88, disagree: 8, salt: 11 }, None).await?;
        crate::assembly::close(db, sys, vid, day(-106)).await?;
        crate::assembly::publish(db, sys, vid, day(-106)).await?;
        // Passed with nearly every owner of the building taking part; should a small roll
        // reject it after all, the use stays rejected.
        if fund::decide(db, sys, uid, day(-105)).await? == wuye_domain::fund::FundUseState::Approved {
            fund::pay(db, sys, uid, (budget * 96 / 100).max(1), "宁夏鑫盛防水工程有限公司", day(-80)).await?;
            fund::charge(db, sys, uid, day(-80)).await?;
            fund::disclose(db, sys, uid, day(-75)).await?;
        }
        report.fund_uses += 1;
    }
    // 2. An emergency use: an elevator trapped people; confirmed, paid, charged, disclosed.
    let scope = building(1);
    let budget = (40_000 * scope.len() as i64).min(chargeable(&scope_balances(db, sys, show, &scope, today).await?));
    if budget > 0 {
        let u = NewFundUse { project: "2号楼电梯困人故障抢修（更换曳引机制动器）".into(), budget, house_ids: scope, emergency: Some(EmergencyKind::ElevatorFailure) };
        let uid = fund::apply_use(db, sys, show, &u, day(-45)).await?;
        fund::confirm_emergency(db, sys, uid, day(-45)).await?;
        fund::pay(db, sys, uid, budget, "银川市特种设备维保有限公司", day(-43)).await?;
        fund::charge(db, sys, uid, day(-43)).await?;
        fund::disclose(db, sys, uid, day(-40)).await?;
        report.fund_uses += 1;
    }
    // 3. In voting: the owners of the building are voting now.
    let scope = building(2);
    let u = NewFundUse { project: "3号楼外墙保温层脱落隐患修缮".into(), budget: 60_000 * scope.len() as i64, house_ids: scope, emergency: None };
    let uid = fund::apply_use(db, sys, show, &u, day(-30)).await?;
    let vid = fund::submit_to_vote(db, sys, uid, day(-5), day(9), day(-30)).await?;
    report.votes += 1;
    crate::assembly::announce(db, sys, vid, day(-22)).await?;
    crate::assembly::open(db, sys, vid, day(-5)).await?;
    report.ballots += demo_ballots(db, sys, vid, day(-4), Turnout { take_part: 35, agree: 80, disagree: 15, salt: 12 }, demo_owner).await?;
    report.fund_uses += 1;
    // 4. Applied for a few days ago.
    let scope = building(3);
    let u = NewFundUse { project: "小区雨污管网疏通及检查井更换".into(), budget: 20_000 * scope.len() as i64, house_ids: scope, emergency: None };
    fund::apply_use(db, sys, show, &u, day(-3)).await?;
    report.fund_uses += 1;

    // Votes of the showcase estate in every state.
    let m = |k: MatterKind, s: &str| (k, s.to_string());
    let passed = Turnout { take_part: 90, agree: 85, disagree: 10, salt: 21 };
    demo_vote(db, sys, show, "关于续聘物业服务企业及修订管理规约的表决",
        vec![m(MatterKind::HireManager, "续聘现物业服务企业，服务期三年，收费标准不变"), m(MatterKind::Covenant, "修订管理规约第十二条（电动自行车停放与充电管理）")],
        today, -200, Stage::Published, passed, None, &mut report).await?;
    demo_vote(db, sys, show, "关于续筹住宅专项维修资金的表决",
        vec![m(MatterKind::RaiseFund, "分户账余额不足首期缴存额 30% 的业主按首期缴存额补足续筹")],
        today, -70, Stage::Published, Turnout { take_part: 45, agree: 70, disagree: 25, salt: 22 }, None, &mut report).await?;
    demo_vote(db, sys, show, "关于利用共有部分建设电动汽车充电桩的表决",
        vec![m(MatterKind::ChangeCommonUse, "在地面停车区建设 20 个电动汽车充电车位，收益归全体业主共有")],
        today, -3, Stage::Open, Turnout { take_part: 30, agree: 75, disagree: 15, salt: 23 }, demo_owner, &mut report).await?;
    demo_vote(db, sys, show, "关于选举第二届业主委员会的表决",
        vec![m(MatterKind::ElectCommittee, "选举第二届业主委员会委员 7 名（候选人名单见公告）")],
        today, 17, Stage::Announced, passed, None, &mut report).await?;
    demo_vote(db, sys, show, "关于制定业主大会议事规则的表决",
        vec![m(MatterKind::RulesOfProcedure, "制定业主大会议事规则（草案见附件）")],
        today, 40, Stage::Draft, passed, None, &mut report).await?;

    // Four small estates of other counties: passed, rejected, open, announced.
    let mut counties: HashSet<String> = estates.iter().filter(|e| e.0 == show).map(|e| e.2[..6].to_string()).collect();
    let mut small: Vec<&(i64, i64, String)> = estates.iter().filter(|e| e.0 != show).collect();
    small.sort_by_key(|e| (e.1, e.0));
    let mut picked = Vec::new();
    for e in small {
        if picked.len() < 4 && counties.insert(e.2[..6].to_string()) {
            picked.push(e.0);
        }
    }
    let plans = [
        (Stage::Published, -90, passed, "关于选聘物业服务企业的表决"),
        (Stage::Published, -40, Turnout { take_part: 85, agree: 30, disagree: 60, salt: 31 }, "关于调整物业服务收费标准的表决"),
        (Stage::Open, -2, Turnout { take_part: 40, agree: 70, disagree: 20, salt: 32 }, "关于更换业主委员会成员的表决"),
        (Stage::Announced, 20, passed, "关于公共收益使用方案的表决"),
    ];
    for (eid, (stage, opens, turnout, title)) in picked.into_iter().zip(plans) {
        let kind = if title.contains("选聘") || title.contains("收费") { MatterKind::HireManager } else if title.contains("业主委员会") { MatterKind::ElectCommittee } else { MatterKind::OtherMajor };
        demo_vote(db, sys, eid, title, vec![m(kind, title.trim_start_matches("关于").trim_end_matches("的表决"))], today, opens, stage, turnout, None, &mut report).await?;
    }
    Ok(report)
}

/// Password of every demo account (demo databases only).
pub const DEMO_PASSWORD: &str = "demo-2026-wuye";

/// Creates one demo user per role on the generated data (once): the province regulator,
/// a county regulator, a street office, a department, an enterprise manager and staff, a
/// committee member, an owner, a utility operator and a mediator. Returns
/// `(login, role, scope)` of the users created. The committee member and the owner are
/// bound to the [`showcase_estate`] as of today (UTC); see [`demo_users_on`].
pub async fn demo_users(db: &Db) -> Result<Vec<(String, String, String)>> {
    demo_users_on(db, chrono::Utc::now().date_naive()).await
}

/// [`demo_users`] with the committee member and the owner bound to the
/// [`showcase_estate`] as of `day`: pass the day given to [`write_assembly_and_fund`], so
/// that they see the demo's votes and fund uses.
pub async fn demo_users_on(db: &Db, day: NaiveDate) -> Result<Vec<(String, String, String)>> {
    use wuye_domain::account::{Role, Scope};
    if crate::account::find_user(db, "demo-admin").await?.is_some() {
        return Ok(Vec::new());
    }
    let sys = crate::access::Access::system("demo");
    // A covered estate in 兴庆区 if there is one, with its enterprise and an owner.
    let pick = showcase_estate(db, day).await?;
    let Some((estate, firm, code)) = pick else { return Ok(Vec::new()) };
    let owner: Option<i64> = on!(db, p => sqlx::query_scalar(
        "SELECT w.owner_id FROM ownerships w JOIN houses h ON h.id = w.house_id WHERE h.estate_id = $1 ORDER BY w.owner_id LIMIT 1")
        .bind(estate).fetch_optional(p).await)?;
    let rc = |c: &str| wuye_domain::region::RegionCode::parse(c).map(Scope::Region).map_err(|e| crate::StoreError::Invalid(e.to_string()));
    let mut users: Vec<(&str, &str, Role, Scope)> = vec![
        ("demo-admin", "演示 平台管理员", Role::Admin, Scope::All),
        ("demo-province", "演示 自治区住建厅", Role::Regulator, rc("64")?),
        ("demo-county", "演示 县区住建局", Role::Regulator, rc(&code[..6])?),
        ("demo-street", "演示 街道办事处", Role::Street, rc(&code[..9])?),
        ("demo-dept", "演示 城市管理局", Role::Department, rc(&code[..6])?),
        ("demo-manager", "演示 物业企业负责人", Role::EnterpriseManager, Scope::Enterprise(firm)),
        ("demo-staff", "演示 物业企业员工", Role::EnterpriseStaff, Scope::Enterprise(firm)),
        ("demo-committee", "演示 业委会委员", Role::Committee, Scope::Estate(estate)),
        ("demo-utility", "演示 供水公司", Role::Utility, Scope::Own),
        ("demo-mediator", "演示 人民调解员", Role::Mediator, Scope::Own),
    ];
    if let Some(o) = owner {
        users.push(("demo-owner", "演示 业主", Role::Owner, Scope::Owner(o)));
    }
    let mut out = Vec::new();
    for (name, display, role, scope) in users {
        crate::account::create_user(db, &sys, name, display, DEMO_PASSWORD, &[(role, scope.clone(), display.trim_start_matches("演示 ").to_string())], false).await?;
        out.push((name.to_string(), role.label_zh().to_string(), scope.to_text()));
    }
    Ok(out)
}

/// What [`write_cases`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasesReport {
    pub organisations: u64,
    pub meetings: u64,
    pub matters: u64,
    pub referrals: u64,
    pub disputes: u64,
}

impl std::fmt::Display for CasesReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "案件办理: 部门与调解组织 {}，联席会议 {}，事项 {}，执法移交 {}，纠纷调解 {}", self.organisations, self.meetings, self.matters, self.referrals, self.disputes)
    }
}

/// The name of a county department of `kind` in a county called `county`.
fn department_name(county: &str, kind: &str) -> String {
    let suffix = match kind {
        "housing" => "住房和城乡建设局",
        "urban_management" => "综合执法局",
        "planning" => "自然资源局",
        "greening" => "园林管理局",
        "police" => "公安分局",
        "environment" => "生态环境分局",
        "civil_affairs" => "民政局",
        "pricing" => "发展和改革局",
        "finance" => "财政局",
        "market_regulation" => "市场监督管理局",
        "work_safety" => "应急管理局",
        "fire_rescue" => "消防救援大队",
        other => other,
    };
    format!("{county}{suffix}")
}

/// The joint conference and mediation of the demo, as of `today`:
/// - every county of Ningxia gets its housing department and the eleven departments of the
///   joint conference; every street with an estate gets its street office and a people's
///   mediation committee;
/// - the demo users join them: demo-county the housing department of the showcase county,
///   demo-dept its urban management, demo-street and demo-mediator the showcase street's
///   office and mediation committee (call after [`demo_users_on`]);
/// - a meeting of the showcase county with matters in every state (one returned and
///   re-dispatched, one overdue and escalated), referrals and disputes in every state on
///   the showcase estate (one agreement with its judicial-confirmation date), and matters
///   in four other counties for the dashboard.
///
/// Every case goes through the case engine as its actors would, on the days they would.
/// Does nothing when organisations exist already.
pub async fn write_cases(db: &Db, today: NaiveDate, progress: &dyn Progress) -> Result<CasesReport> {
    use crate::cases::{self, AgreementInput, NewCase, NewMeeting, Party, StepInput, Upload};
    use chrono::Days;
    use wuye_domain::cases::DEPARTMENT_KINDS;
    let mut r = CasesReport::default();
    if count(db, "organisations").await? > 0 {
        return Ok(r);
    }
    let sys = crate::access::Access::system("demo");
    let Some((estate, firm, code)) = showcase_estate(db, today).await? else { return Ok(r) };
    let counties: Vec<(String, String)> = on!(db, p => sqlx::query_as("SELECT code, name FROM regions WHERE level = 'county' ORDER BY code").fetch_all(p).await)?;
    let streets: Vec<(String, String)> = on!(db, p => sqlx::query_as(
        "SELECT DISTINCT s.code, s.name FROM regions s JOIN estates e ON e.region_code LIKE s.prefix || '%' WHERE s.level = 'street' ORDER BY s.code").fetch_all(p).await)?;
    progress.phase("部门与调解组织", (counties.len() * 12 + streets.len() * 2) as u64);
    let mut orgs: HashMap<(String, String), i64> = HashMap::new();
    for (c, name) in &counties {
        for (kind, _) in DEPARTMENT_KINDS.iter().filter(|(k, _)| *k != "street") {
            let id = cases::create_organisation(db, &sys, kind, &department_name(name, kind), c, "").await?;
            orgs.insert((c.clone(), kind.to_string()), id);
            r.organisations += 1;
            progress.inc(1);
        }
    }
    for (s, name) in &streets {
        let office = if name.ends_with("街道") { format!("{name}办事处") } else { format!("{name}人民政府") };
        orgs.insert((s.clone(), "street".into()), cases::create_organisation(db, &sys, "street", &office, s, "").await?);
        orgs.insert((s.clone(), "mediation".into()), cases::create_organisation(db, &sys, "mediation", &format!("{name}人民调解委员会"), s, "").await?);
        r.organisations += 2;
        progress.inc(2);
    }
    let county = format!("{:0<12}", &code[..6]);
    let street = format!("{:0<12}", &code[..9]);
    let org = |region: &str, kind: &str| orgs.get(&(region.to_string(), kind.to_string())).copied();
    let (Some(housing), Some(urban), Some(police), Some(fire), Some(market)) =
        (org(&county, "housing"), org(&county, "urban_management"), org(&county, "police"), org(&county, "fire_rescue"), org(&county, "market_regulation"))
    else {
        return Ok(r);
    };
    for (o, user) in [(Some(housing), "demo-county"), (Some(urban), "demo-dept"), (org(&street, "street"), "demo-street"), (org(&street, "mediation"), "demo-mediator")] {
        if let Some(o) = o
            && crate::account::find_user(db, user).await?.is_some()
        {
            cases::add_member(db, &sys, o, user).await?;
        }
    }
    let day = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
    let later = |n: u64| today.checked_add_days(Days::new(n)).unwrap_or(today);
    let step = |action: &str, note: &str| StepInput { action: action.into(), note: note.into(), ..Default::default() };
    let photo = || Upload { file_name: "现场照片.png".into(), bytes: DEMO_PNG.to_vec() };
    let pdf = |name: &str| Upload { file_name: name.into(), bytes: DEMO_SCAN.to_vec() };

    // The showcase county's joint conference.
    progress.phase("联席会议与案件", 20);
    let attendees = [urban, police, fire, market].into_iter().map(|o| (o, "分管负责同志".to_string())).chain(org(&street, "street").map(|o| (o, "副主任".to_string()))).collect();
    let meeting = cases::create_meeting(db, &sys, &NewMeeting {
        convener_org_id: housing,
        title: "住宅小区物业管理联席会议（第四季度）".into(),
        held_on: day(20),
        place: "区住建局三楼会议室".into(),
        chair: "区住建局分管副局长".into(),
        agenda: "一、通报第三季度物业投诉与隐患整改情况；二、研究小区消防通道占用、违法搭建、住改商问题；三、部署冬季供暖与安全检查".into(),
        minutes: "会议听取了各街道关于物业管理问题的汇报，逐项研究了需要多部门协同解决的事项，形成如下决定。".into(),
        decisions: "1. 消防通道占用问题由消防救援大队牵头、公安配合，限期清理；2. 违法搭建由综合执法局依法查处；3. 住改商问题由市场监管局核查；4. 各部门按期报结，住建局督办。".into(),
        attendees,
    }, today).await?;
    r.meetings += 1;
    let matter = |title: &str, holder: i64, helpers: Vec<i64>, deadline: NaiveDate| NewCase {
        kind: "matter".into(),
        title: title.into(),
        description: "联席会议议定事项，请按期办理并报结。".into(),
        meeting_id: Some(meeting),
        supervisor_org_id: Some(housing),
        holder_org_id: Some(holder),
        helper_org_ids: helpers,
        deadline: Some(deadline),
        ..Default::default()
    };
    let est = Some(estate);
    // Confirmed.
    let mut m = matter("清理小区消防车通道占用车辆", fire, vec![police], day(5));
    m.estate_id = est;
    let id = cases::open(db, &sys, &m, &[], day(19)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(18)).await?;
    cases::step(db, &sys, id, &step("progress", "已联合交警张贴告知书，约谈物业企业"), &[photo()], day(15)).await?;
    cases::step(db, &sys, id, &step("report", "占道车辆已全部清离，施划禁停标线，设置隔离桩"), &[photo()], day(10)).await?;
    cases::step(db, &sys, id, &step("confirm", ""), &[], day(8)).await?;
    // In progress, due later.
    let id = cases::open(db, &sys, &matter("查处小区内违法搭建彩钢房", urban, vec![], later(12)), &[], day(19)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(18)).await?;
    cases::step(db, &sys, id, &step("progress", "已下达限期拆除决定书"), &[pdf("限期拆除决定书.pdf")], day(6)).await?;
    // Waiting for the urban management department to accept (demo-dept's inbox).
    cases::open(db, &sys, &matter("整治小区周边占道经营", urban, vec![market], later(8)), &[], day(1)).await?;
    // Returned, re-dispatched to the market regulator, accepted.
    let id = cases::open(db, &sys, &matter("核查小区住宅改作经营性用房", urban, vec![], later(10)), &[], day(19)).await?;
    cases::step(db, &sys, id, &step("return", "住改商登记核查属市场监管职责，建议改派市场监督管理局"), &[], day(18)).await?;
    let re = StepInput { action: "redispatch".into(), holder_org_id: Some(market), deadline: Some(later(10)), note: "改派市场监督管理局".into(), ..Default::default() };
    cases::step(db, &sys, id, &re, &[], day(17)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(16)).await?;
    // Overdue: due 10 days ago, accepted, never reported: escalated.
    let id = cases::open(db, &sys, &matter("督促物业企业整改地下车库积水", police, vec![], day(10)), &[], day(19)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(18)).await?;
    // Reported, waiting for the convener to confirm (demo-county's inbox).
    let id = cases::open(db, &sys, &matter("规范小区电动自行车集中充电设施", fire, vec![], later(5)), &[], day(19)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(18)).await?;
    cases::step(db, &sys, id, &step("report", "已督促建成集中充电车棚 2 处，配置灭火器 8 具"), &[photo()], day(2)).await?;
    r.matters += 6;

    // Referrals on the showcase estate, reported by its property company.
    let referral = |title: &str, category: &str, desc: &str| NewCase {
        kind: "referral".into(),
        title: title.into(),
        category: category.into(),
        description: desc.into(),
        estate_id: est,
        ..Default::default()
    };
    let staff = crate::access::Access::system("demo:物业企业");
    let _ = firm;
    cases::open(db, &staff, &referral("地下室群租", "group_renting", "地下室被分隔为 8 间出租，住有 20 余人"), &[photo()], day(1)).await?;
    let id = cases::open(db, &staff, &referral("一层业主占用绿地搭建阳光房", "illegal_construction", "1 号楼一层业主在公共绿地上搭建阳光房约 15 m²"), &[photo()], day(9)).await?;
    cases::step(db, &sys, id, &StepInput { action: "refer".into(), holder_org_id: Some(urban), ..Default::default() }, &[], day(8)).await?;
    let id = cases::open(db, &staff, &referral("消防通道被私家车长期占用", "fire_lane", "东门消防通道长期停放私家车 6 辆"), &[photo()], day(25)).await?;
    cases::step(db, &sys, id, &StepInput { action: "refer".into(), holder_org_id: Some(fire), ..Default::default() }, &[], day(24)).await?;
    cases::step(db, &sys, id, &step("accept", ""), &[], day(23)).await?;
    cases::step(db, &sys, id, &step("handle", "责令车主移车，对拒不整改的 2 辆车依法处罚"), &[], day(12)).await?;
    r.referrals += 3;

    // Disputes on the showcase estate.
    let owners: Vec<(i64, String)> = on!(db, p => sqlx::query_as(
        "SELECT DISTINCT o.id, o.name FROM owners o JOIN ownerships w ON w.owner_id = o.id JOIN houses h ON h.id = w.house_id WHERE h.estate_id = $1 ORDER BY o.id LIMIT 6")
        .bind(estate).fetch_all(p).await)?;
    let firm_name: String = on!(db, p => sqlx::query_scalar("SELECT name FROM enterprises WHERE id = $1").bind(firm).fetch_one(p).await)?;
    if owners.len() >= 4 {
        let owner = |i: usize, side: &str| Party { side: side.into(), party_kind: "owner".into(), name: owners[i].1.clone(), owner_id: Some(owners[i].0), ..Default::default() };
        let company = || Party { side: "respondent".into(), party_kind: "enterprise".into(), name: firm_name.clone(), enterprise_id: Some(firm), ..Default::default() };
        let dispute = |title: &str, category: &str, desc: &str, parties: Vec<Party>| NewCase {
            kind: "dispute".into(),
            title: title.into(),
            category: category.into(),
            description: desc.into(),
            estate_id: est,
            parties,
            ..Default::default()
        };
        let consent = |n: i64| StepInput { action: "accept".into(), consents: (1..=n).map(|s| (s, true)).collect(), ..Default::default() };
        // Applied by the demo owner (the estate's first owner), waiting for the mediator.
        cases::open(db, &sys, &dispute("物业费上涨争议", "owner_enterprise", "物业企业未经业主大会同意上调物业费，申请调解", vec![owner(0, "applicant"), company()]), &[], day(1)).await?;
        // Agreed: effective 9 days ago, judicial confirmation due 21 days from today.
        let id = cases::open(db, &sys, &dispute("楼上漏水致楼下房屋受损", "owner_owner", "楼上卫生间防水失效，楼下顶棚受损，协商未果", vec![owner(1, "applicant"), owner(2, "respondent")]), &[], day(16)).await?;
        cases::step(db, &sys, id, &consent(2), &[], day(15)).await?;
        cases::step(db, &sys, id, &step("notify", "已书面告知人民调解的性质、原则、效力及当事人的权利义务"), &[], day(15)).await?;
        cases::step(db, &sys, id, &step("session", "第一次调解：现场查看，双方确认漏水点"), &[photo()], day(13)).await?;
        cases::step(db, &sys, id, &step("session", "第二次调解：就修复方案和赔偿金额达成一致"), &[], day(10)).await?;
        let g = AgreementInput {
            oral: false,
            facts: "楼上卫生间防水层失效，导致楼下顶棚及墙面受损".into(),
            terms: "楼上业主于协议生效后 15 日内重做防水，并一次性赔偿楼下业主修复费用 3,000 元".into(),
            performance: "防水施工由物业监督；赔偿款当面支付并出具收条".into(),
            performance_deadline: later(6),
            signed_by_parties: true,
            signed_by_mediator: true,
            effective_on: day(9),
        };
        cases::step(db, &sys, id, &StepInput { action: "agree".into(), agreement: Some(g), ..Default::default() }, &[pdf("人民调解协议书.pdf")], day(9)).await?;
        cases::rate(db, &sys, id, 1, 5, day(8)).await?;
        cases::rate(db, &sys, id, 2, 4, day(8)).await?;
        // Ended with advice on other routes.
        let id = cases::open(db, &sys, &dispute("车位使用权争议", "owner_committee", "业主委员会收回业主长期使用的地面车位", vec![owner(3, "applicant"), Party { side: "respondent".into(), party_kind: "committee".into(), name: "业主委员会".into(), ..Default::default() }]), &[], day(30)).await?;
        cases::step(db, &sys, id, &consent(2), &[], day(29)).await?;
        cases::step(db, &sys, id, &step("notify", "已口头告知权利义务"), &[], day(29)).await?;
        cases::step(db, &sys, id, &step("session", "双方各执己见，未能达成一致"), &[], day(22)).await?;
        cases::step(db, &sys, id, &step("end", "调解不成，已告知当事人可依法申请仲裁或向人民法院提起诉讼"), &[], day(20)).await?;
        // In session.
        let id = cases::open(db, &sys, &dispute("电梯停运赔偿争议", "owner_enterprise", "电梯停运 20 天，业主要求减免物业费", vec![owner(1, "applicant"), company()]), &[], day(7)).await?;
        cases::step(db, &sys, id, &consent(2), &[], day(6)).await?;
        cases::step(db, &sys, id, &step("notify", "已告知权利义务"), &[], day(6)).await?;
        cases::step(db, &sys, id, &step("session", "第一次调解：物业说明停运原因为配件待货"), &[], day(3)).await?;
        r.disputes += 4;
    }
    // Matters in four other counties, for the dashboard.
    let others: Vec<&(String, String)> = counties.iter().filter(|(c, _)| *c != county).step_by(5).take(4).collect();
    for (i, (c, _)) in others.into_iter().enumerate() {
        let (Some(h), Some(u)) = (org(c, "housing"), org(c, "urban_management")) else { continue };
        let mut m = matter("清理楼道堆放杂物", u, vec![], later(7));
        m.meeting_id = None;
        m.supervisor_org_id = Some(h);
        let id = cases::open(db, &sys, &m, &[], day(14)).await?;
        cases::step(db, &sys, id, &step("accept", ""), &[], day(13)).await?;
        if i % 2 == 0 {
            cases::step(db, &sys, id, &step("report", "已清理"), &[], day(3)).await?;
            cases::step(db, &sys, id, &step("confirm", ""), &[], day(2)).await?;
        }
        let mut late = matter("整治违规飞线充电", u, vec![], day(4));
        late.meeting_id = None;
        late.supervisor_org_id = Some(h);
        cases::open(db, &sys, &late, &[], day(12)).await?;
        r.matters += 2;
    }
    cases::escalate_due(db, today).await?;
    progress.inc(20);
    Ok(r)
}

/// A 1×1 PNG for demo photos.
const DEMO_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";
