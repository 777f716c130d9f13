"""Forms of the HR lead: consent, company profile, application, needs and strengths, self-assessment."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app import maturity, taxonomy
from app.forms import MultiCheckboxField, TandemForm
from app.i18n import lazy_gettext as _l

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


def choices(mapping) -> list[SelectChoice]:
    return [SelectChoice(str(key), label) for key, label in mapping.items()]


class ConsentForm(TandemForm):
    agree = BooleanField(_l("I agree, on behalf of my company, that Tandem stores and processes these data for the "
                            "programme as described above."), validators=[DataRequired(
                                message=_l("Please tick the box to give your consent."))])
    submit = SubmitField(_l("Give consent"))


class WithdrawConsentForm(TandemForm):
    submit = SubmitField(_l("Withdraw consent"))


class ProfileForm(TandemForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(min=2, max=200)])
    sector = SelectField(_l("Sector (WZ 2008)"), validators=[DataRequired()])
    headcount_band = RadioField(_l("Number of employees"), validators=[InputRequired(
        message=_l("Please choose the number of employees."))])
    municipality = StringField(
        _l("Location (municipality)"), validators=[DataRequired(), Length(max=150)],
        description=_l("The town or municipality of your site, e.g. Südlohn. Used to form groups at a "
                       "reasonable distance."),
        render_kw={"list": "places", "autocomplete": "off", "data-places": "1"},
    )
    has_works_council = RadioField(_l("Is there a works council?"), choices=YES_NO,
                                   validators=[InputRequired(message=_l("Please answer yes or no."))])
    has_shift_work = RadioField(_l("Is there shift work?"), choices=YES_NO,
                                validators=[InputRequired(message=_l("Please answer yes or no."))])
    has_charta = BooleanField()
    has_audit = BooleanField()
    has_pflege_guide = BooleanField()
    has_pflegekoffer = BooleanField()
    caregiver_estimate = IntegerField(
        _l("About how many of your employees care for a relative? (optional)"),
        validators=[Optional(), NumberRange(min=0, max=100_000, message=_l("Please enter a number from 0."))],
        description=_l("An estimate is enough, and no names: many companies do not know. Finding out is one of "
                       "the programme's goals."),
    )
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = [SelectChoice("", _l("Please choose"))] + [
            SelectChoice(letter, f"{letter} – {label}") for letter, label in taxonomy.SECTORS.items()]
        self.headcount_band.choices = choices(taxonomy.HEADCOUNT_BANDS)
        for key, label in taxonomy.INSTRUMENTS.items():
            getattr(self, f"has_{key}").label.text = label

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "submit")}
        data["has_works_council"] = data["has_works_council"] == "yes"
        data["has_shift_work"] = data["has_shift_work"] == "yes"
        data["name"] = data["name"].strip()
        return data


class ApplicationForm(TandemForm):
    role = RadioField(_l("Our company takes part as"), validators=[InputRequired(
        message=_l("Please choose mentor or mentee."))], choices=[
        SelectChoice("mentee", _l("Mentee company: we want to learn how to support caregiving employees better")),
        SelectChoice("mentor", _l("Mentor company: we already support caregiving employees well and share our "
                                  "experience")),
    ])
    cycle_min_months = IntegerField(_l("Shortest cycle (months)"), default=9, validators=[
        InputRequired(), NumberRange(min=9, max=24, message=_l("Between 9 and 24 months."))])
    cycle_max_months = IntegerField(_l("Longest cycle (months)"), default=24, validators=[
        InputRequired(), NumberRange(min=9, max=24, message=_l("Between 9 and 24 months."))])
    meeting_modes = MultiCheckboxField(_l("How can you meet?"), validators=[DataRequired(
        message=_l("Please choose at least one way to meet."))])
    weekdays = MultiCheckboxField(_l("Which weekdays suit you?"), coerce=int, validators=[DataRequired(
        message=_l("Please choose at least one weekday."))])
    times_of_day = MultiCheckboxField(_l("Which times of day suit you?"), validators=[DataRequired(
        message=_l("Please choose at least one time of day."))])
    max_travel_km = IntegerField(_l("How far would you travel to a meeting? (km)"), default=30, validators=[
        InputRequired(), NumberRange(min=0, max=500, message=_l("Please enter 0 to 500 km."))])
    mentee_capacity = IntegerField(
        _l("Mentors: how many mentee companies can you take?"),
        validators=[Optional(), NumberRange(min=1, max=10, message=_l("Please enter 1 to 10."))])
    exclusions = TextAreaField(
        _l("Companies you do not want to be in a group with (optional)"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One company per line, e.g. direct competitors. Only the programme coordination sees this."))
    questions = TextAreaField(
        _l("Questions your company brings (optional)"), validators=[Optional(), Length(max=5000)],
        description=_l("What would you like to work on in the group? For example: How do we find out who in our "
                       "company cares for a relative?"))
    version = HiddenField()
    submit = SubmitField(_l("Save application"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_modes.choices = choices(taxonomy.MEETING_MODES)
        self.weekdays.choices = [SelectChoice(key, label) for key, label in taxonomy.WEEKDAYS.items()]
        self.times_of_day.choices = choices(taxonomy.TIMES_OF_DAY)

    def values(self) -> dict:
        data = {name: self._fields[name].data for name in (
            "cycle_min_months", "cycle_max_months", "meeting_modes", "weekdays", "times_of_day", "max_travel_km",
            "mentee_capacity", "questions")}
        data["exclusions"] = (self.exclusions.data or "").splitlines()
        data["questions"] = (data["questions"] or "").strip()
        return data


PRIORITY_CHOICES = [SelectChoice("", _l("not chosen"))] + [
    SelectChoice(str(key), label) for key, label in taxonomy.NEED_PRIORITIES.items()]


def topics_form_class():
    """A form with one priority select per topic of the taxonomy."""

    class TopicsForm(TandemForm):
        submit = SubmitField(_l("Save"))

        def chosen(self) -> dict[str, int]:
            return {key: int(self[f"topic_{key}"].data) for key in maturity.TOPICS if self[f"topic_{key}"].data}

    for key, topic in maturity.TOPICS.items():
        setattr(TopicsForm, f"topic_{key}", SelectField(topic.label, choices=PRIORITY_CHOICES, default="",
                                                        validators=[Optional()]))
    return TopicsForm


def assessment_form_class():
    """A form with one level choice (0–4, described in plain words) and one comment per dimension."""

    class AssessmentForm(TandemForm):
        submit = SubmitField(_l("Save self-assessment"))

        def answers(self) -> dict[str, int | None]:
            return {d.key: int(self[f"level_{d.key}"].data) for d in maturity.DIMENSIONS}

        def comments(self) -> dict[str, str]:
            return {d.key: self[f"comment_{d.key}"].data or "" for d in maturity.DIMENSIONS}

    for dimension in maturity.DIMENSIONS:
        setattr(AssessmentForm, f"level_{dimension.key}", RadioField(
            dimension.question,
            choices=[SelectChoice(str(level), text) for level, text in enumerate(dimension.levels)],
            validators=[InputRequired(message=_l("Please choose the level that fits best."))]))
        setattr(AssessmentForm, f"comment_{dimension.key}", TextAreaField(
            _l("Comment (optional)"), validators=[Optional(), Length(max=2000)]))
    return AssessmentForm


class ColleagueForm(TandemForm):
    email = EmailField(_l("Colleague's e-mail address"), validators=[
        DataRequired(message=_l("Please enter an e-mail address.")), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address."))])
    submit = SubmitField(_l("Invite"))


def _labelled(keys) -> list[SelectChoice]:
    from app.services.funder_report import label

    return [SelectChoice(k, label(k)) for k in keys]


class ParticipantForm(TandemForm):
    """The ESF Plus entry questionnaire of one person (the funder asks exactly these fields)."""

    programme_id = SelectField(_l("Programme"), coerce=int)
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=80)])
    postcode = StringField(_l("Postcode of residence"), validators=[DataRequired(), Length(max=10)])
    sex = SelectField(_l("Sex"))
    age_band = SelectField(_l("Age"))
    employment = SelectField(_l("Employment status"))
    education = SelectField(_l("Highest education"))
    submit = SubmitField(_l("Add person"))

    def __init__(self, *args, **kwargs):
        from app.models.participant import AGE_BANDS, EDUCATION, EMPLOYMENT, SEXES

        super().__init__(*args, **kwargs)
        self.sex.choices = _labelled(SEXES)
        self.age_band.choices = _labelled(AGE_BANDS)
        self.employment.choices = _labelled(EMPLOYMENT)
        self.education.choices = _labelled(EDUCATION)
