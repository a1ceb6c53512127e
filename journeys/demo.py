"""The demo workspace: a fixed, declarative catalogue and the function that writes it.

Northwind Analytics is a fictional B2B SaaS company selling revenue forecasting and
pipeline analytics to sales organisations. The content below is plain data; `seed_demo`
writes it through the services, so the demo is validated exactly like user input, and
is idempotent: rows are looked up by their keys (maps by persona and name) and created,
brought up to date or left alone.
"""

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from journeys.models import (
    Channel,
    JourneyMap,
    JourneyMapVersion,
    Milestone,
    Persona,
    Phase,
    Seniority,
    Touchpoint,
)
from journeys.services import (
    TouchpointPlacement,
    journey_map_create,
    journey_map_draft_from_published,
    journey_map_publish,
    milestone_create,
    milestone_update,
    persona_create,
    persona_update,
    stage_create,
    stage_milestones_set,
    stage_touchpoints_set,
    touchpoint_create,
    touchpoint_update,
)
from workspaces.models import Membership, Role, Workspace
from workspaces.services import membership_set, validated_save, workspace_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"

WORKSPACE = {"slug": "demo", "name": "Northwind Analytics (demo)"}

MARKETING = "Marketing"
SALES = "Sales"
CUSTOMER_SUCCESS = "Customer Success"
PRODUCT = "Product"
SUPPORT = "Support"

# Personas ----------------------------------------------------------------------------

PERSONAS: tuple[dict[str, Any], ...] = (
    {
        "key": "revops-lead",
        "name": "Rita, Head of RevOps",
        "description": (
            "Owns the forecast process and the revenue tech stack at a mid-market software "
            "company; the economic buyer who signs the contract."
        ),
        "role": "Head of Revenue Operations",
        "department": "Revenue Operations",
        "seniority": Seniority.DIRECTOR,
        "industry": "B2B software",
        "headcount_band": "201-1000",
        "revenue_band": "$50M-$250M",
        "region": "North America",
        "goals": [
            "Forecast within 5% of the quarter's actual bookings",
            "Replace the spreadsheet roll-up with one trusted pipeline view",
            "Show the CRO which deals and channels really drive revenue",
        ],
        "pain_points": [
            "Monday forecast calls take half a day and nobody trusts the number",
            "CRM data is incomplete because reps do not update it",
            "Every new tool needs a six-month implementation",
        ],
        "objections": [
            "We already pay for forecasting inside our CRM",
            "My team has no capacity for another rollout this quarter",
            "AI forecasts are a black box the board will not accept",
        ],
        "preferred_channels": [
            Channel.CONTENT,
            Channel.WEBINAR,
            Channel.REVIEW_SITE,
            Channel.COMMUNITY,
            Channel.SALES,
        ],
    },
    {
        "key": "it-security-evaluator",
        "name": "Sam, IT security evaluator",
        "description": (
            "Reviews every SaaS purchase that touches customer or revenue data; can block a "
            "deal late in the cycle."
        ),
        "role": "IT Security Manager",
        "department": "IT & Security",
        "seniority": Seniority.MANAGER,
        "industry": "Financial services",
        "headcount_band": "1001-5000",
        "revenue_band": "$250M-$1B",
        "region": "EMEA",
        "goals": [
            "Approve only vendors that meet the security and data-residency policy",
            "Keep SaaS access under SSO and automated provisioning",
            "Finish vendor reviews without becoming the bottleneck",
        ],
        "pain_points": [
            "Business teams bring tools in after they have already started a trial",
            "Vendor security questionnaires come back vague or incomplete",
            "Offboarding a vendor rarely comes with proof that data was deleted",
        ],
        "objections": [
            "SSO and audit logs are only on the enterprise plan",
            "Data must stay in the EU",
            "The vendor has no SOC 2 Type II report yet",
        ],
        "preferred_channels": [Channel.WEB, Channel.REVIEW_SITE, Channel.SALES, Channel.SUPPORT],
    },
    {
        "key": "sales-team-lead",
        "name": "Taylor, sales team lead",
        "description": (
            "Runs a team of eight account executives and discovers tools bottom-up; starts a "
            "trial and later champions the purchase to their VP."
        ),
        "role": "Sales Team Lead",
        "department": "Sales",
        "seniority": Seniority.MANAGER,
        "industry": "B2B software",
        "headcount_band": "51-200",
        "revenue_band": "$10M-$50M",
        "region": "North America",
        "goals": [
            "Coach reps on the deals that matter instead of chasing updates",
            "Run a 30-minute weekly pipeline review",
            "Hit the team quota three quarters in a row",
        ],
        "pain_points": [
            "Reps hate updating the CRM, so pipeline reviews are guesswork",
            "Dashboards are built by RevOps and answer their questions, not the team's",
        ],
        "objections": [
            "I cannot get budget without my VP",
            "My reps will not adopt yet another tool",
        ],
        "preferred_channels": [Channel.SOCIAL, Channel.PRODUCT, Channel.COMMUNITY, Channel.EMAIL],
    },
)

# Touchpoints -------------------------------------------------------------------------


def _touchpoint(key, name, channel, phase, owner_team, description, *, is_online=True):
    return {
        "key": key,
        "name": name,
        "description": description,
        "channel": channel,
        "phase": phase,
        "is_online": is_online,
        "owner_team": owner_team,
    }


PRE, PURCHASE, POST = Phase.PRE_PURCHASE, Phase.PURCHASE, Phase.POST_PURCHASE

TOUCHPOINTS: tuple[dict[str, Any], ...] = (
    _touchpoint(
        "organic-search", "Organic search result", Channel.SEARCH, PRE, MARKETING,
        "Ranking pages for 'sales forecast accuracy' and 'pipeline review template'.",
    ),
    _touchpoint(
        "search-ad", "Google search ad", Channel.PAID_ADS, PRE, MARKETING,
        "Paid search on forecasting and competitor keywords.",
    ),
    _touchpoint(
        "linkedin-post", "LinkedIn thought-leadership post", Channel.SOCIAL, PRE, MARKETING,
        "Posts by the founders and customer champions about running pipeline reviews.",
    ),
    _touchpoint(
        "blog-article", "Blog article", Channel.CONTENT, PRE, MARKETING,
        "Playbooks and benchmark reports on forecasting and RevOps.",
    ),
    _touchpoint(
        "g2-review", "G2 review page", Channel.REVIEW_SITE, PRE, MARKETING,
        "Northwind's profile and comparison grid on G2.",
    ),
    _touchpoint(
        "newsletter", "RevOps Weekly newsletter", Channel.EMAIL, PRE, MARKETING,
        "Weekly newsletter with one forecasting tip and one benchmark.",
    ),
    _touchpoint(
        "webinar", "Forecasting webinar", Channel.WEBINAR, PRE, MARKETING,
        "Monthly live webinar: 'Forecasting without spreadsheets', with a customer guest.",
    ),
    _touchpoint(
        "trade-show-booth", "Trade-show booth", Channel.EVENT, PRE, MARKETING,
        "Booth and meeting room at SaaStr and regional RevOps summits.",
        is_online=False,
    ),
    _touchpoint(
        "direct-mail-kit", "Executive direct-mail kit", Channel.DIRECT_MAIL, PRE, SALES,
        "Printed forecast benchmark and a coffee voucher sent to target executives.",
        is_online=False,
    ),
    _touchpoint(
        "partner-referral", "Implementation partner referral", Channel.PARTNER, PRE, SALES,
        "CRM consultancies that recommend Northwind to their clients.",
    ),
    _touchpoint(
        "pricing-page", "Pricing page", Channel.WEB, PRE, MARKETING,
        "Public pricing for the Team, Business and Enterprise plans.",
    ),
    _touchpoint(
        "nurture-email", "Nurture email sequence", Channel.EMAIL, PRE, MARKETING,
        "Automated sequence for leads and trial users: case studies, ROI calculator, tips.",
    ),
    _touchpoint(
        "demo-request-form", "Demo request form", Channel.WEB, PRE, MARKETING,
        "Form on the website that books a call with sales.",
    ),
    _touchpoint(
        "demo-call", "Discovery and demo call", Channel.SALES, PURCHASE, SALES,
        "Video call with an account executive and a solutions engineer.",
    ),
    _touchpoint(
        "free-trial-signup", "Free trial signup", Channel.PRODUCT, PURCHASE, PRODUCT,
        "Self-serve 14-day trial of the Team plan with a sample CRM.",
    ),
    _touchpoint(
        "trust-center", "Trust center and security questionnaire", Channel.WEB, PURCHASE, SALES,
        "SOC 2 Type II report, pen-test summary, sub-processors and a pre-filled questionnaire.",
    ),
    _touchpoint(
        "proposal-call", "Proposal and negotiation call", Channel.SALES, PURCHASE, SALES,
        "Pricing, contract and data-processing agreement with the buying committee.",
    ),
    _touchpoint(
        "onboarding-call", "Onboarding kick-off call", Channel.SUPPORT, POST, CUSTOMER_SUCCESS,
        "Kick-off with the customer success manager: CRM connection, goals, rollout plan.",
    ),
    _touchpoint(
        "in-app-tour", "In-app product tour", Channel.PRODUCT, POST, PRODUCT,
        "Guided tour and setup checklist shown on first login.",
    ),
    _touchpoint(
        "user-invited", "Teammate invited", Channel.PRODUCT, POST, PRODUCT,
        "A user invites a teammate from inside the product.",
    ),
    _touchpoint(
        "support-ticket", "Support ticket or chat", Channel.SUPPORT, POST, SUPPORT,
        "Help-desk ticket or in-app chat with the support team.",
    ),
    _touchpoint(
        "community-forum", "Community forum", Channel.COMMUNITY, POST, CUSTOMER_SUCCESS,
        "Customer community: questions, templates and the champions programme.",
    ),
    _touchpoint(
        "qbr", "Quarterly business review", Channel.SALES, POST, CUSTOMER_SUCCESS,
        "Quarterly review of usage, forecast accuracy and goals with the customer.",
    ),
    _touchpoint(
        "renewal-call", "Renewal call", Channel.SALES, POST, CUSTOMER_SUCCESS,
        "Renewal conversation 90 days before the contract ends.",
    ),
    _touchpoint(
        "upgrade-prompt", "In-app upgrade prompt", Channel.PRODUCT, POST, PRODUCT,
        "Prompt shown when a team reaches its seat or feature limits.",
    ),
    _touchpoint(
        "review-request-email", "Review request email", Channel.EMAIL, POST, MARKETING,
        "Asks happy customers (NPS 9-10) for a G2 review.",
    ),
    _touchpoint(
        "referral-programme", "Referral programme", Channel.WEB, POST, MARKETING,
        "Give-a-month, get-a-month referral page for customers.",
    ),
)  # fmt: skip

# Milestones --------------------------------------------------------------------------

MILESTONES: tuple[dict[str, Any], ...] = (
    {
        "key": "newsletter-signup",
        "name": "Newsletter signup",
        "description": "Someone at the account subscribed to RevOps Weekly.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
    {
        "key": "demo-requested",
        "name": "Demo requested",
        "description": "The account booked a discovery and demo call.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
    {
        "key": "trial-started",
        "name": "Free trial started",
        "description": "Someone at the account started a free trial.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
    {
        "key": "paid-plan-purchased",
        "name": "Paid plan bought",
        "description": "The account signed its first paid contract.",
        "is_conversion": True,
        "value": Decimal("12000.00"),
        "rule": None,
    },
    {
        "key": "five-users-added",
        "name": "Five users added",
        "description": "Teammates were invited at least five times within 30 days.",
        "is_conversion": False,
        "value": None,
        "rule": {"touchpoint": "user-invited", "min_count": 5, "within_days": 30},
    },
    {
        "key": "onboarding-completed",
        "name": "Onboarding completed",
        "description": "CRM connected, first forecast published and the team trained.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
    {
        "key": "renewal",
        "name": "Contract renewed",
        "description": "The account renewed its annual contract.",
        "is_conversion": True,
        "value": Decimal("14400.00"),
        "rule": None,
    },
    {
        "key": "expansion",
        "name": "Plan expanded",
        "description": "The account bought more seats or upgraded its plan.",
        "is_conversion": True,
        "value": None,
        "rule": None,
    },
    {
        "key": "review-left",
        "name": "Review left",
        "description": "Someone at the account published a review on G2.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
    {
        "key": "referral-made",
        "name": "Referral made",
        "description": "The account referred another company that booked a demo.",
        "is_conversion": False,
        "value": None,
        "rule": None,
    },
)

# Journey maps ------------------------------------------------------------------------
# Each stage lists its touchpoints as (key, notes) in order and its exit milestones by key.

REVOPS_STAGES: tuple[dict[str, Any], ...] = (
    {
        "name": "Awareness",
        "description": "Rita realises the forecast process no longer scales.",
        "customer_goal": "Understand why forecasts keep missing and what better teams do.",
        "actions": [
            "Reads RevOps blogs and benchmark reports",
            "Searches for forecasting software",
            "Asks peers in RevOps communities for recommendations",
        ],
        "thoughts": [
            "Our forecast is a spreadsheet nobody trusts.",
            "Is this a tooling problem or a process problem?",
        ],
        "emotion_score": -2,
        "emotion_label": "frustrated",
        "pain_points": [
            "Monday forecast calls eat half a day",
            "Too many vendors claim 'AI forecasting'",
        ],
        "opportunities": [
            "Gate the forecasting benchmark behind the newsletter signup",
            "Retarget blog readers with the next webinar",
        ],
        "kpis": ["Newsletter signups from ICP accounts", "Blog-to-webinar conversion rate"],
        "owner_team": MARKETING,
        "expected_duration_days": 45,
        "touchpoints": (
            ("organic-search", "Ranks for 'sales forecast accuracy'."),
            ("blog-article", "Forecasting benchmark report."),
            ("trade-show-booth", "Meets the team at a RevOps summit."),
            ("partner-referral", "CRM consultancy mentions Northwind."),
            ("newsletter", "Signup offered on every blog article."),
        ),
        "exit_milestones": ("newsletter-signup",),
    },
    {
        "name": "Consideration",
        "description": "Rita builds a shortlist and compares approaches.",
        "customer_goal": "Shortlist tools that fix forecasting without a six-month rollout.",
        "actions": [
            "Attends a forecasting webinar",
            "Compares vendors on G2",
            "Checks pricing and requests a demo",
        ],
        "thoughts": ["Will my reps actually use it?", "How long until we see value?"],
        "emotion_score": 1,
        "emotion_label": "curious",
        "pain_points": ["Hard to compare pricing across vendors", "Demos feel generic"],
        "opportunities": [
            "Transparent pricing with a total-cost calculator",
            "Demo tailored to the prospect's CRM",
        ],
        "kpis": ["Demo requests per month", "Webinar attendance rate"],
        "owner_team": MARKETING,
        "expected_duration_days": 30,
        "touchpoints": (
            ("webinar", "Live session with a customer guest."),
            ("g2-review", "Comparison grid against two incumbents."),
            ("direct-mail-kit", "Sent to the CRO of target accounts."),
            ("nurture-email", "ROI calculator and case studies."),
            ("pricing-page", "Business plan is the usual fit."),
            ("demo-request-form", "Routes to an account executive within a day."),
        ),
        "exit_milestones": ("demo-requested", "trial-started"),
    },
    {
        "name": "Decision",
        "description": "Rita builds the business case and steers the buying committee.",
        "customer_goal": "Prove the business case and get sign-off from finance and IT.",
        "actions": [
            "Runs a two-week trial with one sales team",
            "Builds the business case for the CFO",
            "Brings IT security into the evaluation",
        ],
        "thoughts": [
            "Can I show a win before the board meeting?",
            "Will security slow this down?",
        ],
        "emotion_score": -1,
        "emotion_label": "under pressure",
        "pain_points": [
            "The security review adds weeks",
            "Trial data does not look like production data",
        ],
        "opportunities": [
            "Pre-filled security questionnaire in the trust center",
            "Trial workspace loaded with a copy of their CRM pipeline",
        ],
        "kpis": ["Trial-to-paid conversion", "Sales cycle length (days)", "Win rate"],
        "owner_team": SALES,
        "expected_duration_days": 30,
        "touchpoints": (
            ("demo-call", "Discovery, then a demo on their own pipeline."),
            ("free-trial-signup", "Trial for one team, sales-assisted."),
            ("trust-center", "Shared with IT before they ask."),
            ("proposal-call", "Business plan, annual contract."),
        ),
        "exit_milestones": ("paid-plan-purchased",),
    },
    {
        "name": "Retention",
        "description": "Northwind becomes how the company forecasts.",
        "customer_goal": "Get every sales team forecasting in Northwind within a quarter.",
        "actions": [
            "Kicks off with the customer success manager",
            "Invites team leads and reps",
            "Connects the CRM and sets up dashboards",
            "Reviews results in QBRs",
        ],
        "thoughts": ["Are reps actually using it?", "Can I show leadership the accuracy gain?"],
        "emotion_score": 2,
        "emotion_label": "relieved",
        "pain_points": [
            "CRM field mapping takes longer than expected",
            "Some reps ignore yet another tool",
        ],
        "opportunities": [
            "Onboarding checklist with CRM mapping templates",
            "Forecast-accuracy report ready for every QBR",
        ],
        "kpis": ["Time to first forecast", "Weekly active users", "Gross revenue retention"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 365,
        "touchpoints": (
            ("onboarding-call", "Within five days of signature."),
            ("in-app-tour", "Setup checklist for admins."),
            ("user-invited", "Team leads invite their reps."),
            ("support-ticket", "Mostly CRM mapping questions."),
            ("qbr", "Forecast accuracy against last year."),
            ("renewal-call", "90 days before the contract ends."),
        ),
        "exit_milestones": ("onboarding-completed", "five-users-added", "renewal", "expansion"),
    },
    {
        "name": "Advocacy",
        "description": "Rita shares the win with peers.",
        "customer_goal": "Be recognised for fixing the forecast and help peers do the same.",
        "actions": ["Writes a G2 review", "Answers questions in the community", "Refers a peer"],
        "thoughts": ["This made me look good to the CRO.", "What do I get for referring?"],
        "emotion_score": 4,
        "emotion_label": "proud",
        "pain_points": ["Review requests arrive at bad moments"],
        "opportunities": [
            "Ask for a review right after a successful QBR",
            "Referral rewards for both sides",
        ],
        "kpis": ["Reviews per quarter", "Referred pipeline", "NPS"],
        "owner_team": MARKETING,
        "expected_duration_days": 180,
        "touchpoints": (
            ("review-request-email", "Sent after an NPS score of 9 or 10."),
            ("community-forum", "Invited to the champions programme."),
            ("referral-programme", "Give a month, get a month."),
        ),
        "exit_milestones": ("review-left", "referral-made"),
    },
)

SECURITY_STAGES: tuple[dict[str, Any], ...] = (
    {
        "name": "Awareness",
        "description": "Sam hears about Northwind when the business asks for a review.",
        "customer_goal": "Find out what the business wants to buy and what data it touches.",
        "actions": [
            "Receives a review request from RevOps",
            "Looks up the vendor's trust center",
            "Searches for past incidents",
        ],
        "thoughts": ["Another SaaS tool with CRM access?", "Where is the data hosted?"],
        "emotion_score": -1,
        "emotion_label": "wary",
        "pain_points": [
            "Requests arrive without context",
            "The business already started a trial without telling IT",
        ],
        "opportunities": [
            "Security one-pager in every sales follow-up",
            "Self-serve trust center with the SOC 2 report",
        ],
        "kpis": ["Trust-center visits from evaluating accounts"],
        "owner_team": SALES,
        "expected_duration_days": 14,
        "touchpoints": (
            ("trust-center", "First stop: hosting, certifications, sub-processors."),
            ("organic-search", "Searches '<vendor> security incident'."),
            ("g2-review", "Reads the security and compliance section."),
        ),
        "exit_milestones": ("demo-requested",),
    },
    {
        "name": "Consideration",
        "description": "Sam assesses the vendor against company policy.",
        "customer_goal": "Assess the vendor's security posture against our policies.",
        "actions": [
            "Sends the security questionnaire",
            "Reviews the SOC 2 Type II report and pen-test summary",
            "Checks SSO, SCIM and EU data residency",
        ],
        "thoughts": ["Is SAML SSO on this plan?", "Who are their sub-processors?"],
        "emotion_score": -1,
        "emotion_label": "sceptical",
        "pain_points": ["Questionnaire answers are vague", "SSO only on the enterprise plan"],
        "opportunities": [
            "Pre-filled CAIQ and SIG questionnaires",
            "A security engineer on the evaluation call",
        ],
        "kpis": ["Days to complete the security review", "Questionnaires answered in 5 days"],
        "owner_team": SALES,
        "expected_duration_days": 21,
        "touchpoints": (
            ("trust-center", "Downloads the SOC 2 report under NDA."),
            ("demo-call", "Security deep-dive with a solutions engineer."),
            ("webinar", "Recording: security and compliance at Northwind."),
            ("free-trial-signup", "Sandbox with test data only."),
        ),
        "exit_milestones": ("trial-started",),
    },
    {
        "name": "Decision",
        "description": "Sam approves with conditions written into the contract.",
        "customer_goal": "Approve with acceptable risk and clear contractual protections.",
        "actions": [
            "Negotiates the data-processing agreement",
            "Tests SSO in the trial tenant",
            "Records the approval in the vendor risk register",
        ],
        "thoughts": ["Is the DPA GDPR-compliant?", "What happens to our data if we leave?"],
        "emotion_score": 0,
        "emotion_label": "cautious",
        "pain_points": [
            "Legal and security reviews run one after the other",
            "No data-export guarantee in the standard contract",
        ],
        "opportunities": [
            "Standard DPA with EU standard contractual clauses",
            "Documented offboarding with a deletion certificate",
        ],
        "kpis": ["Security approval rate", "Days from questionnaire to approval"],
        "owner_team": SALES,
        "expected_duration_days": 21,
        "touchpoints": (
            ("proposal-call", "Legal and DPA review with procurement."),
            ("trust-center", "Sub-processor list and data-residency statement."),
        ),
        "exit_milestones": ("paid-plan-purchased",),
    },
    {
        "name": "Retention",
        "description": "Sam keeps the integration secure and low-maintenance.",
        "customer_goal": "Keep access under control with as little effort as possible.",
        "actions": [
            "Configures SSO and SCIM provisioning",
            "Reviews audit logs",
            "Files tickets for integration issues",
        ],
        "thoughts": ["Does access follow least privilege?", "Will key rotation break this?"],
        "emotion_score": 1,
        "emotion_label": "reassured",
        "pain_points": [
            "SCIM provisioning errors are hard to debug",
            "Audit logs export only as CSV",
        ],
        "opportunities": [
            "Stream audit logs to the customer's SIEM",
            "Notify security contacts of security-relevant changes",
        ],
        "kpis": ["Security tickets per account", "Time to resolve P1 tickets"],
        "owner_team": SUPPORT,
        "expected_duration_days": 365,
        "touchpoints": (
            ("onboarding-call", "SSO and SCIM setup session."),
            ("user-invited", "Users provisioned through SCIM."),
            ("support-ticket", "Integration and access questions."),
            ("renewal-call", "Annual security re-review before renewal."),
        ),
        "exit_milestones": ("onboarding-completed", "renewal"),
    },
    {
        "name": "Advocacy",
        "description": "Sam vouches for Northwind with peers.",
        "customer_goal": "Help peers decide faster by sharing an honest assessment.",
        "actions": ["Takes reference calls from other security teams", "Reviews on G2"],
        "thoughts": ["I would approve them again."],
        "emotion_score": 2,
        "emotion_label": "confident",
        "pain_points": ["Reference calls take time"],
        "opportunities": ["Security customer advisory board"],
        "kpis": ["Security reference calls given"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 180,
        "touchpoints": (
            ("community-forum", "Security and compliance board."),
            ("g2-review", "Rates security and compliance."),
        ),
        "exit_milestones": ("review-left",),
    },
)

TEAM_LEAD_STAGES: tuple[dict[str, Any], ...] = (
    {
        "name": "Awareness",
        "description": "Taylor looks for a way to run pipeline reviews without chasing reps.",
        "customer_goal": "Coach the team without chasing reps for updates.",
        "actions": [
            "Sees a peer's LinkedIn post",
            "Clicks a search ad",
            "Reads the pricing page",
        ],
        "thoughts": ["My reps hate updating the CRM.", "Can I try it without IT?"],
        "emotion_score": -1,
        "emotion_label": "overwhelmed",
        "pain_points": ["Pipeline reviews are guesswork", "No budget of their own"],
        "opportunities": [
            "Content written for team leads, not RevOps",
            "Free trial straight from the pricing page",
        ],
        "kpis": ["Trial signups from team leads", "Paid social click-through rate"],
        "owner_team": MARKETING,
        "expected_duration_days": 21,
        "touchpoints": (
            ("linkedin-post", "Peer posts a pipeline-review screenshot."),
            ("search-ad", "Keyword: pipeline review template."),
            ("pricing-page", "Team plan is self-serve."),
        ),
        "exit_milestones": ("trial-started",),
    },
    {
        "name": "Purchase",
        "description": "Taylor proves value in the trial and gets budget.",
        "customer_goal": "Convince the VP to pay for the Team plan after the trial.",
        "actions": [
            "Signs up for the free trial",
            "Builds the first pipeline board",
            "Asks the VP for budget",
        ],
        "thoughts": ["Is this worth the price per seat?", "Will my VP approve?"],
        "emotion_score": 1,
        "emotion_label": "hopeful",
        "pain_points": [
            "Card limit below the Team plan price",
            "Trial ends before the quarter closes",
        ],
        "opportunities": ["Trial extension on request", "Manager-ready ROI one-pager"],
        "kpis": ["Trial-to-paid conversion", "Days to first pipeline board"],
        "owner_team": SALES,
        "expected_duration_days": 14,
        "touchpoints": (
            ("free-trial-signup", "14-day Team plan trial."),
            ("in-app-tour", "First pipeline board in ten minutes."),
            ("nurture-email", "Trial emails on day 1, 3, 7 and 12."),
            ("demo-call", "Optional 20-minute call with a sales-assist rep."),
        ),
        "exit_milestones": ("paid-plan-purchased",),
    },
    {
        "name": "Onboarding",
        "description": "Taylor sets the team up.",
        "customer_goal": "Get the whole team forecasting in Northwind in the first month.",
        "actions": [
            "Joins the onboarding call",
            "Imports the pipeline from the CRM",
            "Sets up the weekly forecast view",
        ],
        "thoughts": ["How do I set this up for the whole team?"],
        "emotion_score": 2,
        "emotion_label": "motivated",
        "pain_points": ["CRM field mapping is confusing"],
        "opportunities": ["Guided setup checklist", "Templates for common CRM setups"],
        "kpis": ["Onboarding completion rate", "Days to onboarding completed"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 30,
        "touchpoints": (
            ("onboarding-call", "Pooled onboarding for Team plan customers."),
            ("in-app-tour", "Setup checklist."),
            ("support-ticket", "Chat during setup."),
        ),
        "exit_milestones": ("onboarding-completed",),
    },
    {
        "name": "Adoption",
        "description": "Northwind becomes the team's weekly habit.",
        "customer_goal": "Run every pipeline review in Northwind.",
        "actions": ["Invites the reps", "Runs the weekly review in Northwind", "Sets deal alerts"],
        "thoughts": ["Are my reps actually logging in?"],
        "emotion_score": 3,
        "emotion_label": "confident",
        "pain_points": ["Some reps still keep their own spreadsheets"],
        "opportunities": ["Weekly team usage digest", "Prompt to invite teammates"],
        "kpis": ["Weekly active users per seat", "Users invited in the first 30 days"],
        "owner_team": PRODUCT,
        "expected_duration_days": 60,
        "touchpoints": (
            ("user-invited", "Invite prompt after the first forecast."),
            ("community-forum", "Pipeline-review templates from other teams."),
            ("support-ticket", "How-to questions."),
        ),
        "exit_milestones": ("five-users-added",),
    },
    {
        "name": "Expansion",
        "description": "Other teams want what Taylor's team has.",
        "customer_goal": "Roll the setup out to neighbouring teams and upgrade the plan.",
        "actions": [
            "Shares results with the VP of Sales",
            "Requests a quote for more seats",
            "Attends the QBR",
        ],
        "thoughts": ["Can other teams reuse my setup?"],
        "emotion_score": 3,
        "emotion_label": "ambitious",
        "pain_points": ["Price per seat jumps at 25 users"],
        "opportunities": ["Usage-based upgrade prompt", "Share boards between teams"],
        "kpis": ["Net revenue retention", "Seat expansion rate"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 180,
        "touchpoints": (
            ("upgrade-prompt", "Shown at 80% of seats."),
            ("qbr", "With the VP of Sales."),
            ("renewal-call", "Upgrade offered with the renewal."),
        ),
        "exit_milestones": ("expansion", "renewal"),
    },
    {
        "name": "Loyalty",
        "description": "Taylor becomes a champion.",
        "customer_goal": "Be known as the person who fixed pipeline reviews.",
        "actions": [
            "Answers questions in the community",
            "Leaves a G2 review",
            "Refers a friend at another company",
        ],
        "thoughts": ["I'd bring this tool to my next job."],
        "emotion_score": 4,
        "emotion_label": "proud",
        "pain_points": ["The referral reward is unclear"],
        "opportunities": ["Community champions programme"],
        "kpis": ["Referrals per 100 customers", "Community answers by customers"],
        "owner_team": MARKETING,
        "expected_duration_days": 365,
        "touchpoints": (
            ("community-forum", "Champion badge."),
            ("review-request-email", "After the second QBR."),
            ("referral-programme", "Shared in the community."),
        ),
        "exit_milestones": ("review-left", "referral-made"),
    },
)

TEMPLATE_STAGES: tuple[dict[str, Any], ...] = (
    {
        "name": "Awareness",
        "description": "The buyer recognises a problem and starts learning about solutions.",
        "customer_goal": "Understand the problem and the options.",
        "actions": ["Searches for the problem", "Reads articles and reports"],
        "thoughts": ["Is this worth solving now?"],
        "emotion_score": -1,
        "emotion_label": "uncertain",
        "pain_points": ["Too much generic content"],
        "opportunities": ["Content that names the problem in the buyer's words"],
        "kpis": ["Engaged visitors from ICP accounts"],
        "owner_team": MARKETING,
        "expected_duration_days": 30,
        "touchpoints": (
            ("organic-search", ""),
            ("blog-article", ""),
            ("newsletter", ""),
        ),
        "exit_milestones": ("newsletter-signup",),
    },
    {
        "name": "Consideration",
        "description": "The buyer compares vendors.",
        "customer_goal": "Build a shortlist.",
        "actions": ["Compares vendors", "Attends a webinar", "Requests a demo"],
        "thoughts": ["Which of these fits us?"],
        "emotion_score": 1,
        "emotion_label": "curious",
        "pain_points": ["Hard to compare vendors"],
        "opportunities": ["Honest comparison pages"],
        "kpis": ["Demo requests"],
        "owner_team": MARKETING,
        "expected_duration_days": 30,
        "touchpoints": (
            ("webinar", ""),
            ("g2-review", ""),
            ("pricing-page", ""),
            ("demo-request-form", ""),
        ),
        "exit_milestones": ("demo-requested",),
    },
    {
        "name": "Decision",
        "description": "The buying committee evaluates and signs.",
        "customer_goal": "Choose with confidence.",
        "actions": ["Runs a trial", "Builds the business case", "Negotiates the contract"],
        "thoughts": ["Will this pay off?"],
        "emotion_score": 0,
        "emotion_label": "cautious",
        "pain_points": ["Long procurement"],
        "opportunities": ["Mutual action plan"],
        "kpis": ["Win rate", "Sales cycle length (days)"],
        "owner_team": SALES,
        "expected_duration_days": 45,
        "touchpoints": (
            ("demo-call", ""),
            ("free-trial-signup", ""),
            ("proposal-call", ""),
        ),
        "exit_milestones": ("paid-plan-purchased",),
    },
    {
        "name": "Retention",
        "description": "The customer onboards and gets value.",
        "customer_goal": "Reach the promised value quickly.",
        "actions": ["Onboards", "Invites the team", "Reviews results"],
        "thoughts": ["Is this working?"],
        "emotion_score": 2,
        "emotion_label": "optimistic",
        "pain_points": ["Slow setup"],
        "opportunities": ["Time-to-value playbook"],
        "kpis": ["Time to value", "Gross revenue retention"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 365,
        "touchpoints": (
            ("onboarding-call", ""),
            ("in-app-tour", ""),
            ("qbr", ""),
            ("renewal-call", ""),
        ),
        "exit_milestones": ("onboarding-completed", "renewal"),
    },
    {
        "name": "Advocacy",
        "description": "The customer recommends the product.",
        "customer_goal": "Share a success.",
        "actions": ["Leaves a review", "Refers a peer"],
        "thoughts": ["Others should know about this."],
        "emotion_score": 3,
        "emotion_label": "proud",
        "pain_points": ["No easy way to refer"],
        "opportunities": ["Referral programme"],
        "kpis": ["Reviews", "Referrals"],
        "owner_team": MARKETING,
        "expected_duration_days": None,
        "touchpoints": (
            ("review-request-email", ""),
            ("referral-programme", ""),
        ),
        "exit_milestones": (),
    },
)

JOURNEY_MAPS: tuple[dict[str, Any], ...] = (
    {
        "persona": "revops-lead",
        "name": "Head of RevOps: buying journey",
        "description": "How the economic buyer finds, buys and champions Northwind.",
        "is_template": False,
        "publish": True,
        # Version 1 went live before the demo activity starts (about 18 months ago);
        # NEXT_VERSION revises it.
        "published_days_ago": 600,
        "stages": REVOPS_STAGES,
    },
    {
        "persona": "it-security-evaluator",
        "name": "IT security evaluator: review journey",
        "description": "How the security reviewer evaluates, approves and lives with Northwind.",
        "is_template": False,
        "publish": True,
        "stages": SECURITY_STAGES,
    },
    {
        "persona": "sales-team-lead",
        "name": "Sales team lead: customer lifecycle",
        "description": "The product-led lifecycle of a team lead who starts with a free trial.",
        "is_template": False,
        "publish": True,
        "stages": TEAM_LEAD_STAGES,
    },
    {
        "persona": None,
        "name": "B2B SaaS journey template",
        "description": "A generic five-stage B2B SaaS journey to duplicate for a new persona.",
        "is_template": True,
        "publish": False,
        "stages": TEMPLATE_STAGES,
    },
)

# Version 2 of the RevOps map, published four months ago: onboarding becomes a stage of
# its own (taking its touchpoints and exit milestone from Retention), and the pricing
# page moves from Consideration to Decision, where buyers compare plans. The activity
# of the demo falls in both versions' live windows, so the map_versions report and the
# version diff have something to show.
NEXT_VERSION: dict[str, Any] = {
    "persona": "revops-lead",
    "published_days_ago": 120,
    "new_stage": {
        "position": 4,
        "name": "Onboarding",
        "description": "The first weeks after the purchase, until the team works in it.",
        "customer_goal": "Get the team working in Northwind.",
        "actions": ["Joins the onboarding call", "Takes the in-app tour"],
        "thoughts": ["Will my team actually use this?"],
        "emotion_score": 1,
        "emotion_label": "hopeful",
        "pain_points": ["Data import takes time"],
        "opportunities": ["Guided CRM import"],
        "kpis": ["Days to onboarding completed"],
        "owner_team": CUSTOMER_SUCCESS,
        "expected_duration_days": 30,
        "touchpoints": (("onboarding-call", ""), ("in-app-tour", "")),
        "exit_milestones": ("onboarding-completed",),
    },
    "touchpoint_moves": (("pricing-page", "Consideration", "Decision"),),
}

# Writing it --------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    present: int = 0


@dataclass
class SeedReport:
    workspace: Workspace
    user: AbstractBaseUser
    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())


@transaction.atomic
def seed_demo(*, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> SeedReport:
    """Create or bring up to date the demo workspace; running it again changes nothing.

    Catalogue rows (personas, touchpoints, milestones) are matched by key and updated
    when their fields differ from the data above. Journey maps are matched by persona
    and name and left alone when present, whatever has been done to them since.
    """
    tallies: dict[str, Tally] = {}
    user = _ensure_user(username, password, tallies.setdefault("Demo user", Tally()))
    workspace = _ensure_workspace(user, tallies.setdefault("Workspace", Tally()))
    report = SeedReport(workspace=workspace, user=user, tallies=tallies)

    personas = _sync_catalogue(
        workspace, Persona, PERSONAS, persona_create, persona_update, report.tally("Personas")
    )
    touchpoints = _sync_catalogue(
        workspace,
        Touchpoint,
        TOUCHPOINTS,
        touchpoint_create,
        touchpoint_update,
        report.tally("Touchpoints"),
    )
    # After the touchpoints: a milestone rule must name an existing touchpoint.
    milestones = _sync_catalogue(
        workspace,
        Milestone,
        MILESTONES,
        milestone_create,
        milestone_update,
        report.tally("Milestones"),
    )
    for spec in JOURNEY_MAPS:
        _ensure_map(
            workspace,
            spec,
            user=user,
            personas=personas,
            touchpoints=touchpoints,
            milestones=milestones,
            tally=report.tally("Journey maps"),
        )
    _ensure_next_version(
        workspace,
        NEXT_VERSION,
        user=user,
        persona=personas[NEXT_VERSION["persona"]],
        touchpoints=touchpoints,
        milestones=milestones,
        tally=report.tally("Journey map versions"),
    )
    return report


def _ensure_user(username: str, password: str, tally: Tally) -> AbstractBaseUser:
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model(**{user_model.USERNAME_FIELD: username})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        validated_save(user)
        tally.created += 1
        return user
    changed = False
    for flag in ("is_active", "is_staff", "is_superuser"):
        if not getattr(user, flag):
            setattr(user, flag, True)
            changed = True
    # Only when it differs: a fresh hash (new salt) would rewrite the row on every run.
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        validated_save(user)
        tally.updated += 1
    else:
        tally.present += 1
    return user


def _ensure_workspace(user: AbstractBaseUser, tally: Tally) -> Workspace:
    workspace = Workspace.objects.filter(slug=WORKSPACE["slug"]).first()
    if workspace is None:
        tally.created += 1
        return workspace_create(slug=WORKSPACE["slug"], name=WORKSPACE["name"], owner=user)
    tally.present += 1
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None or membership.role != Role.ADMIN:
        membership_set(workspace=workspace, user=user, role=Role.ADMIN)
    return workspace


def _sync_catalogue(
    workspace: Workspace,
    model: type[models.Model],
    rows: tuple[dict[str, Any], ...],
    create,
    update,
    tally: Tally,
) -> dict[str, models.Model]:
    """Create missing rows by key and update the fields of present ones that differ."""
    existing = {
        row.key: row
        for row in model.objects.filter(workspace=workspace, key__in=[r["key"] for r in rows])
    }
    param = model._meta.model_name
    result = {}
    for data in rows:
        data = copy.deepcopy(data)  # the catalogue above must never share mutable values
        row = existing.get(data["key"])
        if row is None:
            row = create(workspace=workspace, **data)
            tally.created += 1
        else:
            changes = {name: value for name, value in data.items() if getattr(row, name) != value}
            if changes:
                row = update(**{param: row}, **changes)
                tally.updated += 1
            else:
                tally.present += 1
        result[row.key] = row
    return result


def _ensure_map(
    workspace: Workspace,
    spec: dict[str, Any],
    *,
    user: AbstractBaseUser,
    personas: dict[str, Persona],
    touchpoints: dict[str, Touchpoint],
    milestones: dict[str, Milestone],
    tally: Tally,
) -> JourneyMap:
    persona = personas[spec["persona"]] if spec["persona"] else None
    journey_map = JourneyMap.objects.filter(
        workspace=workspace, persona=persona, is_template=spec["is_template"], name=spec["name"]
    ).first()
    if journey_map is not None:
        tally.present += 1
        return journey_map
    journey_map = journey_map_create(
        workspace=workspace,
        created_by=user,
        persona=persona,
        name=spec["name"],
        description=spec["description"],
        is_template=spec["is_template"],
    )
    for stage_spec in spec["stages"]:
        data = copy.deepcopy(stage_spec)
        placements = data.pop("touchpoints")
        exits = data.pop("exit_milestones")
        stage = stage_create(journey_map=journey_map, **data)
        stage_touchpoints_set(
            stage=stage,
            placements=[
                TouchpointPlacement(touchpoint=touchpoints[key], notes=notes)
                for key, notes in placements
            ],
        )
        stage_milestones_set(stage=stage, milestones=[milestones[key] for key in exits])
    if spec["publish"]:
        journey_map = journey_map_publish(
            journey_map=journey_map, published_at=_days_ago(workspace, persona, spec)
        )
    tally.created += 1
    return journey_map


def _days_ago(workspace: Workspace, persona: Persona, spec: dict[str, Any]):
    """The backdated publish time of a spec with `published_days_ago`, unless the
    persona already has a version at least as recent (a demo seeded before versions)."""
    if spec.get("published_days_ago") is None:
        return None
    at = timezone.now() - timedelta(days=spec["published_days_ago"])
    latest = JourneyMapVersion.objects.filter(workspace=workspace, persona=persona).aggregate(
        latest=Max("published_at")
    )["latest"]
    return at if latest is None or latest < at else None


def _ensure_next_version(
    workspace: Workspace,
    spec: dict[str, Any],
    *,
    user: AbstractBaseUser,
    persona: Persona,
    touchpoints: dict[str, Touchpoint],
    milestones: dict[str, Milestone],
    tally: Tally,
) -> None:
    """Publish version 2 of the persona's map through a draft, unless it has it."""
    if JourneyMapVersion.objects.filter(workspace=workspace, persona=persona).count() >= 2:
        tally.present += 1
        return
    published = JourneyMap.objects.get(
        workspace=workspace, persona=persona, status=JourneyMap.Status.PUBLISHED
    )
    draft = journey_map_draft_from_published(journey_map=published, created_by=user)
    stages = {stage.name: stage for stage in draft.stages.all()}
    new = copy.deepcopy(spec["new_stage"])
    placements, exits = new.pop("touchpoints"), new.pop("exit_milestones")
    taken = {key for key, _ in placements}
    placed = {
        name: [
            (p.touchpoint, p.notes)
            for p in stage.touchpoint_placements.select_related("touchpoint")
        ]
        for name, stage in stages.items()
    }
    for key, source, target in spec["touchpoint_moves"]:
        moved = [entry for entry in placed[source] if entry[0].key == key]
        placed[source] = [entry for entry in placed[source] if entry[0].key != key]
        placed[target] += moved
    for name, stage in stages.items():
        kept = [(t, notes) for t, notes in placed[name] if t.key not in taken]
        stage_touchpoints_set(
            stage=stage, placements=[TouchpointPlacement(t, notes) for t, notes in kept]
        )
        stage_milestones_set(
            stage=stage,
            milestones=[m for m in stage.exit_milestones.all() if m.key not in exits],
        )
    stage = stage_create(journey_map=draft, **new)
    stage_touchpoints_set(
        stage=stage,
        placements=[TouchpointPlacement(touchpoints[key], notes) for key, notes in placements],
    )
    stage_milestones_set(stage=stage, milestones=[milestones[key] for key in exits])
    journey_map_publish(journey_map=draft, published_at=_days_ago(workspace, persona, spec))
    tally.created += 1
