//! jira
