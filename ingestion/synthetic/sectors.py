"""The eleven GICS-style sectors: the SIC codes that map into each and their economic traits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    name: str
    weight: float  # share of the universe (roughly the Russell 1000's mix)
    sics: tuple[tuple[str, str], ...]  # (SIC code, SEC's SIC description)
    beta: float  # mean market beta
    idio_vol: float  # median idiosyncratic daily volatility
    gross_margin: float
    operating_margin: float
    price_to_sales: float
    dividend_share: float  # fraction of names that pay a cash dividend
    dividend_yield: float  # median annual yield of payers
    capex_to_sales: float
    assets_to_sales: float
    nasdaq_share: float
    classified_balance_sheet: bool = True  # banks and insurers report no current assets/liabilities
    reports_gross_profit: bool = True


SECTORS: tuple[Sector, ...] = (
    Sector("Information Technology", 0.14,
           (("3571", "Electronic Computers"),
            ("3674", "Semiconductors & Related Devices"),
            ("7372", "Services-Prepackaged Software"),
            ("7373", "Services-Computer Integrated Systems Design")),
           1.2, 0.017, 0.60, 0.22, 6.0, 0.40, 0.010, 0.045, 1.3, 0.75),
    Sector("Health Care", 0.12,
           (("2834", "Pharmaceutical Preparations"),
            ("2836", "Biological Products, (No Diagnostic Substances)"),
            ("3841", "Surgical & Medical Instruments & Apparatus"),
            ("8062", "Services-General Medical & Surgical Hospitals, Nec")),
           0.9, 0.017, 0.55, 0.15, 3.5, 0.45, 0.015, 0.040, 1.4, 0.55),
    Sector("Financials", 0.14,
           (("6021", "National Commercial Banks"),
            ("6022", "State Commercial Banks"),
            ("6211", "Security Brokers, Dealers & Flotation Companies"),
            ("6331", "Fire, Marine & Casualty Insurance")),
           1.1, 0.012, 1.0, 0.30, 2.5, 0.80, 0.022, 0.010, 8.0, 0.25, False, False),
    Sector("Consumer Discretionary", 0.11,
           (("3711", "Motor Vehicles & Passenger Car Bodies"),
            ("5651", "Retail-Family Clothing Stores"),
            ("5812", "Retail-Eating Places"),
            ("5961", "Retail-Catalog & Mail-Order Houses")),
           1.15, 0.018, 0.38, 0.10, 1.5, 0.45, 0.018, 0.040, 0.9, 0.45),
    Sector("Consumer Staples", 0.05,
           (("2080", "Beverages"),
            ("2000", "Food and Kindred Products"),
            ("2844", "Perfumes, Cosmetics & Other Toilet Preparations"),
            ("5411", "Retail-Grocery Stores")),
           0.65, 0.011, 0.35, 0.12, 1.6, 0.85, 0.026, 0.035, 0.8, 0.30),
    Sector("Industrials", 0.14,
           (("3560", "General Industrial Machinery & Equipment"),
            ("3720", "Aircraft & Parts"),
            ("4011", "Railroads, Line-Haul Operating"),
            ("3420", "Cutlery, Handtools & General Hardware")),
           1.05, 0.014, 0.32, 0.13, 1.8, 0.70, 0.018, 0.040, 1.1, 0.30),
    Sector("Energy", 0.05,
           (("1311", "Crude Petroleum & Natural Gas"),
            ("2911", "Petroleum Refining"),
            ("1381", "Drilling Oil & Gas Wells")),
           1.2, 0.020, 0.30, 0.12, 1.2, 0.75, 0.035, 0.110, 1.6, 0.20),
    Sector("Materials", 0.06,
           (("2800", "Chemicals & Allied Products"),
            ("3312", "Steel Works, Blast Furnaces & Rolling Mills (Coke Ovens)"),
            ("1040", "Gold and Silver Ores"),
            ("2621", "Paper Mills")),
           1.05, 0.016, 0.28, 0.12, 1.5, 0.70, 0.024, 0.070, 1.3, 0.20),
    Sector("Utilities", 0.04,
           (("4911", "Electric Services"),
            ("4924", "Natural Gas Distribution"),
            ("4941", "Water Supply")),
           0.5, 0.010, 0.45, 0.20, 2.2, 0.95, 0.035, 0.180, 3.5, 0.15),
    Sector("Real Estate", 0.07,
           (("6798", "Real Estate Investment Trusts"),
            ("6500", "Real Estate")),
           0.9, 0.013, 0.60, 0.30, 7.0, 0.95, 0.040, 0.050, 9.0, 0.20),
    Sector("Communication Services", 0.08,
           (("4813", "Telephone Communications (No Radiotelephone)"),
            ("4841", "Cable & Other Pay Television Services"),
            ("7370", "Services-Computer Programming, Data Processing, Etc.")),
           1.0, 0.016, 0.55, 0.20, 3.0, 0.35, 0.025, 0.070, 1.8, 0.60),
)

SECTOR_NAMES: tuple[str, ...] = tuple(s.name for s in SECTORS)
SIC_TO_SECTOR: dict[str, str] = {sic: s.name for s in SECTORS for sic, _ in s.sics}
SIC_DESCRIPTIONS: dict[str, str] = {sic: text for s in SECTORS for sic, text in s.sics}
