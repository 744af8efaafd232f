"""AgentReportedIssue: an issue an agent raised, with their machine and browser at the time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from operata_lambda.events.common import Browser, EventType, Model, Treatment
from operata_lambda.events.text import (
    NA,
    one_decimal,
    text,
    timestamp,
)

# --- the model ---------------------------------------------------------------------------


@dataclass
class IssueContext(Model):
    """What the agent reported: category, cause, severity, message."""

    call_contact_id: str | None = None
    category: str | None = None
    cause: str | None = None
    message: str | None = None
    scenario: str | None = None
    severity: str | None = None


@dataclass
class SystemCpu(Model):
    """CPU of the agent's computer when the issue was reported."""

    model_name: str | None = None
    idle_percentage: float | None = None
    used_percentage: float | None = None


@dataclass
class SystemMemory(Model):
    """Memory of the agent's computer when the issue was reported, in GB."""

    total: float | None = None
    available: float | None = None


@dataclass
class AgentSystem(Model):
    """The agent's computer when the issue was reported."""

    cpu: SystemCpu | None = None
    memory: SystemMemory | None = None


@dataclass
class SoftphoneError(Model):
    """A softphone error seen with the issue."""

    type: str | None = None
    message: str | None = None


@dataclass
class AgentReportedIssue(Model):
    """An AgentReportedIssue event's detail: an issue raised by an agent."""

    id: str
    operata_client_id: str | None = None
    agent: str | None = None
    state: str | None = None
    context: IssueContext | None = None
    browser: Browser | None = None
    system: AgentSystem | None = None
    softphone_error: SoftphoneError | None = None
    timestamp: str | None = None


# --- rendering -----------------------------------------------------------------------------


def browser_text(browser: Browser | None) -> str:
    """Chrome 113.0.5672.126; what the event has of the two; n/a when it has neither."""
    if browser is None:
        return NA
    parts = [text(part) for part in (browser.name, browser.version) if part]
    return " ".join(parts) or NA


def render(issue: AgentReportedIssue) -> list[str]:
    context = issue.context or IssueContext()
    cpu = (issue.system.cpu if issue.system else None) or SystemCpu()
    memory = (issue.system.memory if issue.system else None) or SystemMemory()
    lines = [
        "Agent Reported Issue Details:",
        f"  Agent: {text(issue.agent)}",
        f"  Issue ID: {text(issue.id)}",
        f"  State: {text(issue.state)}",
        f"  Timestamp: {timestamp(issue.timestamp)}",
        "  Issue Details:",
        f"    Category: {text(context.category)}",
        f"    Cause: {text(context.cause)}",
        f"    Severity: {text(context.severity)}",
        f"    Message: {text(context.message)}",
        "  System Info:",
        f"    CPU: {text(cpu.model_name)} ({one_decimal(cpu.used_percentage)}% used)",
        f"    Memory: {one_decimal(memory.available)} GB available"
        f" / {one_decimal(memory.total)} GB total",
        f"    Browser: {browser_text(issue.browser)}",
    ]
    error = issue.softphone_error
    if error is not None and error.type:
        lines += ["  Softphone Error:", f"    Type: {text(error.type)}"]
        if error.message:
            lines.append(f"    Message: {text(error.message)}")
    return lines


def summarise(issue: AgentReportedIssue) -> dict[str, Any]:
    context = issue.context or IssueContext()
    return {
        "issueId": issue.id,
        "agent": issue.agent,
        "state": issue.state,
        "contactId": context.call_contact_id,
        "category": context.category,
        "cause": context.cause,
        "severity": context.severity,
        "softphoneError": issue.softphone_error.type if issue.softphone_error else None,
    }


EVENT_TYPE = EventType(
    detail_type="AgentReportedIssue",
    title="Agent Reported Issue",
    model=AgentReportedIssue,
    render=render,
    summarise=summarise,
    personal={
        "agent": Treatment.SHOWN,
        "context.message": Treatment.FREE_TEXT,
        "softphoneError.message": Treatment.FREE_TEXT,
    },
)
